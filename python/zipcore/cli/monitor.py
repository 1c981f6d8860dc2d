"""``zipcore monitor VERSIONS.csv``: R and first-epoch loss per data version, with risk flags
(:mod:`zipcore.entropy.monitor`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..entropy import monitor
from ..entropy.plotting import INSTALL as PLOT_INSTALL, check_picture
from ..io import atomic
from .arguments import (UsageError, add_records_key, percentage, require, require_stdout,
                        write_stdout)
from .ratio import add_ratio_options, ratio_options


def add_command(commands: Any) -> None:
    mon = commands.add_parser(
        "monitor", help="R and first-epoch loss per data version, with risk flags",
        description="Reads VERSIONS.csv (header version,path[,loss][,quality]; paths relative "
                    "to the CSV's folder; one row per version, oldest first), measures each "
                    "version's R and flags changes from the previous version: RISK (R and L "
                    "up together), R-UP, L-UP (at steady R), MIXED (R down, L up), GAIN (R "
                    "down, L steady or down), R-DOWN (R down, no L). With 3 or more quality "
                    "scores, fits quality on R (and L) and predicts the rest.")
    mon.add_argument("versions", metavar="VERSIONS.csv")
    mon.add_argument("--r-tol", type=percentage, default=monitor.R_PCT, metavar="PCT",
                     help=f"R is up/down beyond this %% change (default {monitor.R_PCT:g})")
    mon.add_argument("--l-tol", type=percentage, default=monitor.L_PCT, metavar="PCT",
                     help=f"L is up/down beyond this %% change (default {monitor.L_PCT:g})")
    mon.add_argument("--against", choices=monitor.AGAINST, default="previous",
                     help="compare each version with the previous one (default), or with the "
                          "first (candidate versions built from one base)")
    mon.add_argument("--plot", metavar="PNG",
                     help=f"also write a picture of R, L and the quality fit ({PLOT_INSTALL})")
    mon.add_argument("--strict", action="store_true",
                     help="exit 1 when a version is flagged RISK, R-UP, L-UP or MIXED")
    add_records_key(mon)
    add_ratio_options(mon)
    mon.add_argument("--json", action="store_true", help="machine-readable output")
    mon.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    require_stdout("zipcore monitor")
    options = ratio_options(args)
    if args.plot is not None:
        if args.plot == "-":
            raise UsageError("--plot - and the report both write to standard output: name a "
                             "file for the picture")
        require(check_picture, "--plot", args.plot)
        inputs = {"VERSIONS.csv": args.versions}
        inputs.update((f"version {spec.version}", spec.path)
                      for spec in monitor.read_versions(args.versions))
        plot = atomic.plan({"--plot": args.plot}, inputs)["--plot"]
    result = monitor.monitor(args.versions, r_pct=args.r_tol, l_pct=args.l_tol,
                             against=args.against, records_key=args.records_key, **options)
    picture = monitor.plot_bytes(result) if args.plot is not None else None
    # The report first: a run that cannot print it (a full disk behind >) leaves no picture.
    write_stdout(json.dumps(result.as_dict(), indent=2) + "\n" if args.json
                 else monitor.format_report(result))
    if picture is not None:
        atomic.write_file(plot, picture)
    return 1 if args.strict and result.warnings else 0
