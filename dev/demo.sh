#!/usr/bin/env bash
# Builds zipcore into .venv/ and selects 150 of the 1,500 bundled real samples (GSM8K + hh-rlhf)
# with the paper's parameters: writes selected.json and selected_indices.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/bootstrap.sh
.venv/bin/zipcore select python/zipcore/data/gsm8k_hh_rlhf_1500.json -o selected.json \
  --budget 150 --indices-out selected_indices.txt
.venv/bin/zipcore ratio python/zipcore/data/gsm8k_hh_rlhf_1500.json selected.json
