"""Rebuilds the real-data test fixtures in tests/data/ from ../shared/data (see tests/data/README.md).

Only MIT-licensed sources are copied into the repository:

- ``gsm8k_1200.json.gz``: 1,200 GSM8K problems (openai/grade-school-math), drawn from
  ``gsm8k.json`` with a fixed seed among those NOT in the bundled example pool
  (python/zipcore/data/gsm8k_hh_rlhf_1500.json), in their order in the shared file (train, then
  test); ids renumbered 0..1199.
- ``hh_rlhf_harmless_400_pairs.json.gz``: 400 preference pairs (800 samples) of hh-rlhf
  harmless-base test (anthropics/hh-rlhf), drawn from ``pref_hh_rlhf_harmless_test.json`` with the
  same seed among the pairs whose chosen dialogue is NOT in the example pool, in file order; pair k
  is samples 2k (chosen) and 2k+1 (rejected); ids and pair_ids renumbered.

Records keep the shared files' layout and key order, and the files their framing
(``json.dumps(records, ensure_ascii=False)``), gzipped with mtime 0: the same seed rebuilds the
same bytes. The tests use the example pool as their mixed pool ("pool") besides these two.

    python dev/make_test_fixtures.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "data"
EXAMPLE_POOL = ROOT / "python" / "zipcore" / "data" / "gsm8k_hh_rlhf_1500.json"
SEED = 20261126
GSM8K = 1200
PAIRS = 400


def _key(record: dict) -> str:
    return json.dumps(record["conversations"], ensure_ascii=False)


def _write(path: Path, records: list[dict]) -> None:
    text = json.dumps(records, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"wrote {len(records)} samples, {len(text)} bytes of JSON, {path.stat().st_size} "
          f"bytes gzipped, to {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="the shared data folder")
    args = parser.parse_args()
    rng = random.Random(SEED)
    example = {_key(r) for r in json.loads(EXAMPLE_POOL.read_text(encoding="utf-8"))}

    gsm8k = json.loads((args.data / "gsm8k.json").read_text(encoding="utf-8"))
    free = [r for r in gsm8k if _key(r) not in example]
    picked = [free[i] for i in sorted(rng.sample(range(len(free)), GSM8K))]
    OUT.mkdir(exist_ok=True)
    _write(OUT / f"gsm8k_{GSM8K}.json.gz",
           [{"id": i, "conversations": r["conversations"], "source": r["source"]}
            for i, r in enumerate(picked)])

    samples = json.loads((args.data / "pref_hh_rlhf_harmless_test.json").read_text(
        encoding="utf-8"))
    pairs = [samples[k:k + 2] for k in range(0, len(samples), 2)]
    assert all(c["label"] == "chosen" and r["label"] == "rejected"
               and c["pair_id"] == r["pair_id"] for c, r in pairs)
    free_pairs = [p for p in pairs if _key(p[0]) not in example]
    chosen = [free_pairs[i] for i in sorted(rng.sample(range(len(free_pairs)), PAIRS))]
    _write(OUT / f"hh_rlhf_harmless_{PAIRS}_pairs.json.gz",
           [{"id": 2 * k + j, "conversations": r["conversations"], "source": r["source"],
             "pair_id": k, "label": r["label"]}
            for k, pair in enumerate(chosen) for j, r in enumerate(pair)])


if __name__ == "__main__":
    main()
