"""Builds a large benchmark pool from the shared real pools, with no exact duplicates.

The shared files hold about 170K distinct ShareGPT samples. Past that count, samples are reused
with a new id and a source tag naming the copy (``.../copy2``), which is enough to make every
record's bytes unique while keeping the text real (near duplicates, as in real pools).

    python bench/make_pool.py --samples 300000 -o bench/out/pool_300k.jsonl

On a machine without the shared data (a lent benchmark machine), the same pool, byte for byte,
comes from the distinct records dumped once where the data is (about 20 MB with zstd -19):

    python bench/make_pool.py --dump-records records.jsonl && zstd -19 --long=27 records.jsonl
    python bench/make_pool.py --records records.jsonl.zst --samples 1000000 -o pool_1m.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOURCES = [
    "pool_real.json.gz",
    "alpaca_eval_outputs_40models.json.gz",
    "self_instruct_t0_train_50k.json.gz",
    "pref_alpaca_eval_gpt4_annotations.json.gz",
    "pref_hh_rlhf_harmless_test.json",
]


def load(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def distinct_records(shared: Path) -> list[dict]:
    """Every distinct conversation in the shared files, with its source (first file wins)."""
    seen: set[str] = set()
    out = []
    for name in SOURCES:
        for rec in load(shared / name):
            key = json.dumps(rec["conversations"], ensure_ascii=False)
            if key not in seen:
                seen.add(key)
                out.append({"conversations": rec["conversations"], "source": rec["source"]})
    return out


def read_records(path: Path) -> list[dict]:
    """Records dumped by ``--dump-records``, as JSONL, plain or zstd-compressed."""
    if path.suffix == ".zst":
        import io

        import zstandard

        with open(path, "rb") as f:
            raw = zstandard.ZstdDecompressor(max_window_size=1 << 31).stream_reader(f)
            return [json.loads(line) for line in io.TextIOWrapper(raw, encoding="utf-8")]
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def build(samples: int, seed: int, base: list[dict]) -> list[dict]:
    base = list(base)
    rng = random.Random(seed)
    rng.shuffle(base)
    pool = []
    for i in range(samples):
        rec = base[i % len(base)]
        copy = i // len(base)
        source = rec["source"] if copy == 0 else f"{rec['source']}/copy{copy + 1}"
        pool.append({"id": i, "conversations": rec["conversations"], "source": source})
    return pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20240709)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--records", type=Path, help="distinct records from --dump-records, "
                        "instead of reading --shared")
    parser.add_argument("--dump-records", type=Path, help="write the distinct records of "
                        "--shared as JSONL to this file, and stop")
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    if args.dump_records:
        if args.records or args.output:
            parser.error("--dump-records writes the records and stops: no --records or -o")
        with open(args.dump_records, "w", encoding="utf-8") as f:
            for rec in distinct_records(args.shared):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return
    if args.output is None:
        parser.error("-o/--output is required")
    base = read_records(args.records) if args.records else distinct_records(args.shared)
    pool = build(args.samples, args.seed, base)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        for rec in pool:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {len(pool)} samples to {args.output}")


if __name__ == "__main__":
    main()
