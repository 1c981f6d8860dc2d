"""Peak memory of `zipcore select` on a large pool: the streaming reader against a whole-file load.

    python bench/make_pool.py --samples 1000000 -o bench/out/pool_1m.jsonl      # once
    /usr/bin/time -v python bench/bench_memory.py bench/out/pool_1m.jsonl --budget 1000
    /usr/bin/time -v python bench/bench_memory.py bench/out/pool_1m.jsonl --budget 1000 \
        --reader load                                                  # the old path, to compare

Runs what the CLI runs, phase by phase: read the pool (``stream``: zipcore.io.readers.read_pool, one
buffer of sample bytes plus 16 bytes a record; ``load``: the whole file through json.load, every
record as a dict, written back with json.dumps), select, write the selection. After each phase it prints the process's
resident set size (VmRSS) and its peak so far (VmHWM), then one JSON line with everything and the
machine facts. ``/usr/bin/time -v``'s "Maximum resident set size" is the number to publish.

With ``--samples N`` and a POOL that does not exist yet, the pool is first built by make_pool.py
in a child process; a child's peak counts in /usr/bin/time's maximum, so time a second run
(``peak_rss_self_mib`` in the JSON line is this process alone either way).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from selection_args import add_selection_args  # noqa: E402


def memory_mib() -> dict:
    """Current and peak resident set size of this process, in MiB (Linux /proc)."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mib": out.get("VmRSS"), "peak_mib": out.get("VmHWM")}


def build_pool(path: Path, samples: int) -> None:
    print(f"building {path} ({samples} samples) with make_pool.py ...", file=sys.stderr)
    subprocess.run([sys.executable, str(HERE / "make_pool.py"), "--samples", str(samples),
                    "-o", str(path)], check=True)


class Phases:
    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.start = time.perf_counter()
        self.mark("start")

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        row = {"phase": name, "seconds": round(now - self.start, 3), **memory_mib()}
        self.start = now
        self.rows.append(row)
        print(f"{name:>8}: {row['seconds']:8.2f} s  rss {row['rss_mib']:9.1f} MiB  "
              f"peak {row['peak_mib']:9.1f} MiB", file=sys.stderr)


def run_stream(args: argparse.Namespace, output: Path, phases: Phases) -> dict:
    from zipcore import compression_ratio, select_with_stats
    from zipcore.io.readers import read_pool

    source = read_pool(args.pool, threads=args.threads)  # as the CLI reads: --threads workers
    phases.mark("read")
    result = select_with_stats(source.pool, args.budget, k1=args.k1, k2=args.k2, k3=args.k3,
                               codec=args.codec, level=args.level,
                               threads=args.threads)
    phases.mark("select")
    ratio = compression_ratio(source.pool.take(result.indices))
    source.write_selection(output, result.indices)
    phases.mark("write")
    return {"samples": len(source), "sample_bytes": source.pool.nbytes, "ratio": ratio,
            "indices": result.indices}


def run_load(args: argparse.Namespace, output: Path, phases: Phases) -> dict:
    """The whole-file baseline: json.load of a JSON list (or every JSONL line), dicts selected."""
    from zipcore import compression_ratio, select_with_stats

    with open(args.pool, encoding="utf-8") as handle:
        if args.pool.suffix == ".jsonl":
            records = [json.loads(line) for line in handle if line.strip()]
        else:
            records = json.load(handle)
    phases.mark("read")
    result = select_with_stats(records, args.budget, k1=args.k1, k2=args.k2,
                               codec=args.codec, level=args.level,
                               k3=args.k3, threads=args.threads)
    phases.mark("select")
    chosen = [records[i] for i in result.indices]
    ratio = compression_ratio(chosen)
    output.write_text(json.dumps(chosen, ensure_ascii=False), encoding="utf-8")
    phases.mark("write")
    return {"samples": len(records), "sample_bytes": None, "ratio": ratio,
            "indices": result.indices}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_selection_args(parser, budget=1000, pool_help="JSON list or JSONL pool (make_pool.py writes one)")
    parser.add_argument("--samples", type=int,
                        help="build POOL with this many samples first if it does not exist")
    parser.add_argument("--reader", choices=("stream", "load"), default="stream")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--codec", choices=("zlib", "zstd"), default="zlib")
    parser.add_argument("--level", type=int, default=None)
    parser.add_argument("--output", type=Path,
                        help="where the selection goes (default: a temporary file, removed)")
    parser.add_argument("--json", type=Path, help="also write the result line here")
    args = parser.parse_args()
    if not args.pool.exists():
        if args.samples is None:
            parser.error(f"{args.pool} does not exist; give --samples N to build it")
        build_pool(args.pool, args.samples)

    phases = Phases()  # before zipcore is imported: the baseline is the interpreter alone
    import zipcore  # noqa: F401  (counted in the next phase, as the CLI would)
    from machine import machine_facts

    phases.mark("import")
    with tempfile.TemporaryDirectory() as scratch:
        output = args.output or Path(scratch) / ("selection" + "".join(args.pool.suffixes))
        run = run_stream if args.reader == "stream" else run_load
        facts = run(args, output, phases)
        output_bytes = output.stat().st_size
    indices = facts.pop("indices")
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    line = {
        "reader": args.reader, "pool": str(args.pool), "pool_file_bytes": args.pool.stat().st_size,
        **facts, "budget": args.budget, "k1": args.k1, "k2": args.k2, "k3": args.k3,
        "threads": args.threads, "output_bytes": output_bytes,
        "first_indices": [int(i) for i in indices[:5]],
        "peak_rss_self_mib": round(peak_self, 1), "phases": phases.rows,
        "command": " ".join(sys.argv), "machine": machine_facts(),
    }
    text = json.dumps(line)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
