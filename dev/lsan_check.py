"""LeakSanitizer check of the engine, run by dev/sanitize.sh against the ASan+UBSan build.

LeakSanitizer cannot simply run over the test suite: CPython and numpy leave objects behind at
exit on purpose (module state, free lists, interned strings), a few hundred reports that do not
depend on what zipcore did. So this script runs one workload of zipcore calls (ok and failing:
bad parameters, a raising progress callback, KeyboardInterrupt, both codecs, 1 and 2 threads)
twice, ROUNDS_SMALL and ROUNDS_BIG times, each in a child process under LeakSanitizer, and
compares the reports allocation stack by allocation stack:

* a stack whose leaked object count grows with the number of calls is a leak per call: failure;
* a stack that runs through the engine or the binding (cpp/, python/_core.cpp, _core*.so) is a
  failure whatever its count, unless it is one-time setup (the extension's module init).

Usage (what dev/sanitize.sh does):
    python dev/lsan_check.py --preload "$(g++ -print-file-name=libasan.so) ..." --logs DIR
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
from pathlib import Path

ROUNDS_SMALL = 20
ROUNDS_BIG = 200
CALLS_PER_ROUND = 12  # the calls workload() makes per round
GROWTH_LIMIT = 20
"""Most leaked objects one stack may gain between the runs (1,800 more calls) without failing:
a per-call leak gains at least one per call on its path, and the rarest path runs once a round
(180 more times)."""

ENGINE_FRAME = re.compile(r"zipcore::|/cpp/|python/_core\.cpp|_core\.cpython")
ONE_TIME = re.compile(r"PyInit__core|pybind11_init__core")
HEADER = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\)")
FRAME = re.compile(r"^\s*#\d+ 0x[0-9a-f]+ in (.*)$")


class Stop(Exception):
    pass


def workload(rounds: int) -> None:
    """CALLS_PER_ROUND zipcore calls per round, each path at least once, then four runs stopped
    mid-way from the progress callback (those take 0.1 s each, so they are not repeated: a leak
    on their path is found by its engine frames)."""
    import json

    import zipcore

    pool = [f"sample {i} ".encode() * (i % 7 + 1) for i in range(24)] + [b"", b"x", b"x"]
    texts = [f"text {i} \u00e9" * (i % 5) for i in range(12)]

    def stop_progress(*_: int) -> None:
        raise Stop()

    def interrupt(*_: int) -> None:
        raise KeyboardInterrupt

    def expect(kind: type, call) -> None:
        try:
            call()
        except kind:
            return
        raise AssertionError(f"expected {kind.__name__}")

    for r in range(rounds):
        threads = 1 + r % 2
        for codec in ("zlib", "zstd"):
            zipcore.select(pool, 6, k1=12, k2=6, k3=2, threads=threads, codec=codec)
            zipcore.candidate_ratios(pool[:5], pool[5:15], threads=threads, codec=codec)
        zipcore.select_with_stats(texts, 12, k1=6, k2=4, k3=2, threads=threads)  # restores
        zipcore.compression_ratio(pool)
        expect(ValueError, lambda: zipcore.select(pool, 3, k1=2, k2=3, k3=1))
        expect(ValueError, lambda: zipcore.select(pool, 3, k1=4, k2=3, k3=1, codec="zstd",
                                                  level=99))  # rejected inside the engine
        expect(Stop, lambda: zipcore.select(pool, 6, k1=12, k2=6, k3=2, threads=threads,
                                            progress=stop_progress))
        expect(KeyboardInterrupt, lambda: zipcore.select(pool, 6, k1=12, k2=6, k3=2,
                                                         progress=interrupt))

    with open(zipcore.EXAMPLE_POOL, encoding="utf-8") as f:
        records = json.load(f)[:600]
    for threads, codec, kind in ((1, "zlib", Stop), (2, "zlib", KeyboardInterrupt),
                                 (1, "zstd", KeyboardInterrupt), (2, "zstd", Stop)):
        calls = []

        def stop_at_first_poll(stage: int, round_: int, done: int, total: int) -> None:
            calls.append((done, total))
            raise kind()

        # zstd at level 3 can finish this run before the first poll (0.1 s) on a quiet
        # machine; at 19 it takes seconds, and the first poll stops it.
        expect(kind, lambda: zipcore.select(records, 200, k1=400, k2=80, k3=40, threads=threads,
                                            codec=codec, level=19 if codec == "zstd" else None,
                                            progress=stop_at_first_poll))
        assert calls and calls[0][0] < calls[0][1], "the run ended before the first poll"


def parse(report: str) -> collections.Counter:
    """Leaked objects per allocation stack (the tuple of its function names)."""
    leaks: collections.Counter = collections.Counter()
    count, frames = 0, []

    def close() -> None:
        if count:
            leaks[tuple(frames)] += count

    for line in report.splitlines():
        header = HEADER.match(line)
        if header:
            close()
            count, frames = int(header.group(3)), []
        elif count and FRAME.match(line):
            frames.append(FRAME.match(line).group(1))
        elif count and not line.strip():
            close()
            count, frames = 0, []
    close()
    return leaks


def run(rounds: int, preload: str, logs: Path) -> collections.Counter:
    prefix = logs / f"lsan-{rounds}"
    env = dict(os.environ)
    env.update(
        LD_PRELOAD=preload,
        PYTHONMALLOC="malloc",  # every object its own malloc block, so LSan can trace it
        ASAN_OPTIONS=f"detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1:exitcode=86:"
                     f"detect_odr_violation=0:log_path={prefix}",
        LSAN_OPTIONS="exitcode=0",  # leaks are judged here, not by the exit status
        UBSAN_OPTIONS=f"halt_on_error=1:print_stacktrace=1:log_path={logs}/ubsan",
    )
    done = subprocess.run([sys.executable, __file__, "--workload", str(rounds)], env=env)
    reports = sorted(logs.glob(f"lsan-{rounds}.*"))
    text = "".join(p.read_text(errors="replace") for p in reports)
    if done.returncode != 0 or "ERROR: AddressSanitizer" in text:
        sys.stderr.write(text[:20000])
        raise SystemExit(f"lsan_check: the workload of {rounds} rounds failed "
                         f"(exit {done.returncode})")
    for p in reports:
        p.unlink()
    return parse(text)


def describe(stack: tuple) -> str:
    return "\n".join(f"      {frame}" for frame in stack[:14])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--preload", default="", help="sanitizer runtimes for LD_PRELOAD")
    parser.add_argument("--logs", type=Path, default=Path("build/asan/logs"))
    args = parser.parse_args(argv)
    if args.workload is not None:
        workload(args.workload)
        return 0

    args.logs.mkdir(parents=True, exist_ok=True)
    small = run(ROUNDS_SMALL, args.preload, args.logs)
    big = run(ROUNDS_BIG, args.preload, args.logs)
    calls = (ROUNDS_BIG - ROUNDS_SMALL) * CALLS_PER_ROUND
    failures = []
    for stack in sorted(set(small) | set(big), key=lambda s: -big[s]):
        growth = big[stack] - small[stack]
        if growth > GROWTH_LIMIT:
            failures.append(f"  {growth} more objects after {calls} more calls:\n"
                            f"{describe(stack)}")
        elif (any(ENGINE_FRAME.search(f) for f in stack)
              and not any(ONE_TIME.search(f) for f in stack)):
            failures.append(f"  {big[stack]} objects from the engine:\n{describe(stack)}")
    print(f"lsan_check: {ROUNDS_SMALL * CALLS_PER_ROUND} and {ROUNDS_BIG * CALLS_PER_ROUND} "
          f"calls: {sum(small.values())} and {sum(big.values())} objects left at exit "
          f"(the interpreter's and numpy's own), {len(failures)} leak(s) found")
    if failures:
        print("lsan_check: FAILED, leaks:\n" + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
