"""The command tree: ``zipcore select | align | ratio | monitor | info``, each command's arguments
defined by its own module, which also runs it."""

from __future__ import annotations

import argparse
import json

from .._info import build_info
from . import align, monitor, ratio, select
from .arguments import Parser, require_stdout, write_stdout

DESCRIPTION = ("The zipcore command: select a subset, keep what is like a target, measure "
               "compression ratios, monitor data versions.")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="zipcore", description=DESCRIPTION)
    parser.add_argument("--version", action="version",
                        version=f"zipcore {build_info()['version']}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    select.add_command(commands)
    align.add_command(commands)
    ratio.add_command(commands)
    monitor.add_command(commands)
    info = commands.add_parser("info", help="print build information as JSON")
    info.set_defaults(run=_run_info)
    return parser


def _run_info(args: argparse.Namespace) -> int:
    require_stdout("zipcore info")
    write_stdout(json.dumps(build_info(), indent=2, sort_keys=True, default=str) + "\n")
    return 0
