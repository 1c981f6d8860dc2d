"""Rebuilds the bundled example pool, python/zipcore/data/gsm8k_hh_rlhf_1500.json.

1,200 GSM8K problems and 300 hh-rlhf harmless-base *chosen* dialogues (both MIT licensed), drawn
with a fixed seed from ../shared/data, shuffled, ids renumbered. Records keep the shared files'
ShareGPT layout and key order (id, conversations, source), so selections on it are exactly what
the reference script computes.

    python dev/make_example_pool.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "python" / "zipcore" / "data" / "gsm8k_hh_rlhf_1500.json"


def main() -> None:
    rng = random.Random(1500)
    gsm8k = json.loads((SHARED / "gsm8k.json").read_text(encoding="utf-8"))
    pairs = json.loads((SHARED / "pref_hh_rlhf_harmless_test.json").read_text(encoding="utf-8"))
    chosen = [r for r in pairs if r.get("label") == "chosen"]
    picked = rng.sample(gsm8k, 1200) + rng.sample(chosen, 300)
    rng.shuffle(picked)
    pool = [{"id": i, "conversations": r["conversations"], "source": r["source"]}
            for i, r in enumerate(picked)]
    OUT.write_text("[" + ", ".join(json.dumps(r, ensure_ascii=False) for r in pool) + "]",
                   encoding="utf-8")
    print(f"wrote {len(pool)} samples, {OUT.stat().st_size} bytes, to {OUT}")


if __name__ == "__main__":
    main()
