"""One timed selection, for paired before/after runs of two builds on the same machine.

    for codec in zlib zstd; do for t in 1 2; do
        OLD_VENV/bin/python bench/one_selection.py ../shared/data/pool_real_5k.json $codec $t
        .venv/bin/python bench/one_selection.py ../shared/data/pool_real_5k.json $codec $t
    done; done

Prints one JSON line: wall and CPU seconds of ``zipcore.select`` (budget 500, k 2000/200/100, on a
``Pool`` built first, so reading and encoding are not timed), a hash of the indices and R of the
selection, so the two builds' selections can be compared at a glance.
"""

import hashlib
import json
import sys
import time

import zipcore

path, codec, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, encoding="utf-8") as f:
    pool = zipcore.Pool.from_samples(json.load(f))
cpu, start = time.process_time(), time.perf_counter()
indices = zipcore.select(pool, 500, k1=2000, k2=200, k3=100, threads=threads, codec=codec)
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"codec": codec, "threads": threads, "wall": round(wall, 2), "cpu": round(cpu, 2),
                  "indices_sha1": hashlib.sha1(indices.tobytes()).hexdigest()[:12],
                  "ratio": zipcore.compression_ratio(pool.take(indices))}))
