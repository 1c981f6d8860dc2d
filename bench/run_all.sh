#!/usr/bin/env bash
# Runs the benchmarks of sections 1-4 and 7 of bench/RESULTS.md in sequence on an otherwise idle
# machine; results in bench/out/. About 90 minutes on 2 cores (55 of them 1M -> 100K). Sections 5
# (Ray) and 6 (dataset R) give their commands in docs/distributed.md and docs/entropy_law.md.
# Numbers are copied into bench/RESULTS.md by hand, with the date.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
out=bench/out
mkdir -p "$out"
data=../shared/data
[ -f "$out/pool_300k.jsonl" ] || "$py" bench/make_pool.py --samples 300000 -o "$out/pool_300k.jsonl"
[ -f "$out/pool_1m.jsonl" ] || "$py" bench/make_pool.py --samples 1000000 -o "$out/pool_1m.jsonl"

# Core workload (issue 2): 5K real pool, budget 500, k 2000/200/100, zlib exact, 1 and 2 threads.
"$py" bench/bench_select.py $data/pool_real_5k.json --budget 500 --k1 2000 --k2 200 --k3 100 \
  --threads 1 2 --repeat 2 --json $out/select_5k_zlib.json
"$py" bench/bench_select.py $data/pool_real_5k.json --budget 500 --k1 2000 --k2 200 --k3 100 \
  --threads 1 2 --repeat 2 --codec zstd --level 3 --json $out/select_5k_zstd3.json
# Where a zstd evaluation's time goes (the scorer's zstd calls, outside the engine).
"$py" -c "import json; [print(repr(r)) for r in json.load(open('$data/pool_real_5k.json'))]" \
  > $out/samples_5k.txt
g++ -O2 -g -Icpp bench/zstd_eval_cost.cpp cpp/zstd_group_dictionary.cpp \
  /usr/lib/x86_64-linux-gnu/libzstd.a -o $out/zstd_eval_cost
$out/zstd_eval_cost $out/samples_5k.txt 50 100 500 | tee $out/zstd_eval_cost.txt
# Work, span and parallelism W/S (section 7), both codecs.
for codec in zlib zstd; do
  "$py" bench/bench_parallelism.py $data/pool_real_5k.json --budget 500 --k1 2000 --k2 200 \
    --k3 100 --threads 1 2 --codec $codec --json $out/parallelism_5k_$codec.json
done
# zstd quality (AlpacaEval 40 models, budget 1000) and rank agreement with one-shot compression.
"$py" bench/bench_quality.py $data/alpaca_eval_outputs_40models.json.gz --budget 1000 \
  --levels 1 3 9 19 --json $out/quality.json
"$py" bench/bench_rank_agreement.py $data/pool_real_5k.json --level 3 --trials 3 \
  --json $out/rank_agreement.json
# The reference's strategy, first two rounds (per-round growth).
"$py" bench/reference_style.py $data/pool_real_5k.json --budget 500 --k1 2000 --k2 200 --k3 100 \
  --processes 2 --rounds 2 --json $out/reference_5k.json
# Paper scale: 300K pool, budget 10K, paper k's, 2 threads.
"$py" bench/bench_select.py $out/pool_300k.jsonl --budget 10000 --threads 2 --json $out/select_300k_zlib.json
# 1M pool, both codecs, peak RSS.
/usr/bin/time -v "$py" bench/bench_memory.py $out/pool_1m.jsonl --budget 10000 --threads 2 --codec zstd \
  --json $out/memory_1m_zstd.json 2> $out/memory_1m_zstd.time
/usr/bin/time -v "$py" bench/bench_memory.py $out/pool_1m.jsonl --budget 10000 --threads 2 --codec zlib \
  --json $out/memory_1m_zlib.json 2> $out/memory_1m_zlib.time
# Large budgets (section 7): 1M -> 100K, both codecs (about 45 min for zlib on 2 cores), and how
# much of a large selection zstd's dictionary reaches at each level.
for codec in zlib zstd; do
  "$py" bench/bench_parallelism.py $out/pool_1m.jsonl --budget 100000 --threads 2 --codec $codec \
    --json $out/par_1m_100k_$codec.json
done
g++ -O2 -Icpp bench/zstd_dictionary_reach.cpp cpp/zstd_group_dictionary.cpp \
  /usr/lib/x86_64-linux-gnu/libzstd.a -o $out/zstd_dictionary_reach
for level in 1 3 4 5 9; do
  $out/zstd_dictionary_reach $out/pool_1m.jsonl 100000 500000 1000 $level 8 15.99 16 32 64
done | tee $out/zstd_dictionary_reach.txt
