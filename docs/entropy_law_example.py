"""Rebuilds the example of docs/entropy_law.md: data versions made from a real pool, monitored.

    python docs/entropy_law_example.py [--out docs]

R is measured on real records (the first 2,000 of ../shared/data/pool_real_5k.json and fresh
records from the rest of it). The losses and quality scores in the CSV are illustrative numbers
chosen to show the mechanics, not measurements: nothing here trains a model.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from data_versions import (with_fresh_samples, with_near_duplicates,  # noqa: E402
                           write_versions)

from zipcore import cli  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNGs")
    args = parser.parse_args()
    records = json.loads((DATA / "pool_real_5k.json").read_text(encoding="utf-8"))
    v1, rest = records[:2000], records[2000:]
    v2 = with_fresh_samples(v1, rest, 0.2, seed=1)      # routine refresh
    v3 = with_near_duplicates(v2, 0.2, seed=2, adjacent=True)  # an augmentation pass
    v4 = with_fresh_samples(v2, rest[1500:], 0.2, seed=3)  # v3 dropped, another refresh
    versions = {"v1": v1, "v2": v2, "v3": v3, "v4": v4}
    losses = {"v1": 1.212, "v2": 1.209, "v3": 1.241, "v4": 1.207}
    quality = {"v1": 0.614, "v2": 0.617, "v3": 0.574}
    with tempfile.TemporaryDirectory() as folder:
        csv_path = write_versions(Path(folder), versions, losses, quality)
        print(csv_path.read_text())
        code = cli.main(["monitor", str(csv_path), "--plot",
                         str(Path(args.out) / "entropy_law_monitor.png")])
    if code == 0:
        code = cli.main(["select", str(ROOT / "python/zipcore/data/gsm8k_hh_rlhf_1500.json"),
                         "-o", str(Path(tempfile.gettempdir()) / "entropy_law_selected.json"),
                         "--budget", "150", "--k3", "25", "-q",
                         "--report", str(Path(args.out) / "entropy_law_selection.png")])
    return code


if __name__ == "__main__":
    sys.exit(main())
