"""Constructed data versions from real records, for the monitor tests and the docs example.

Each builder replaces a fraction of a base version's records in place (ids kept, so each
version is a plausible update of the same file) and is deterministic for a given seed.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any, Optional, Sequence

Record = dict[str, Any]


def near_duplicate(record: Record, rng: random.Random) -> Record:
    """A copy of ``record`` with one word of its first turn replaced by another of its words."""
    clone = copy.deepcopy(record)
    turn = clone["conversations"][0]
    words = turn["value"].split(" ")
    position = rng.randrange(len(words))
    replacement = words[rng.randrange(len(words))]
    if replacement == words[position]:
        replacement += "s"
    words[position] = replacement
    turn["value"] = " ".join(words)
    return clone


def _slots(size: int, fraction: float, rng: random.Random) -> list[int]:
    # Slot 0 is kept, so every near-duplicate has an original before it.
    return sorted(rng.sample(range(1, size), round(size * fraction)))


def with_near_duplicates(base: Sequence[Record], fraction: float, seed: int, *,
                         adjacent: bool, far: int = 0) -> list[Record]:
    """``base`` with ``fraction`` of its records replaced by near-duplicates of the others.

    ``adjacent``: each copy is of the closest kept record before it (as when an augmentation
    pass writes variants next to their originals), within zlib's 32 KB window. Otherwise of a
    random kept record anywhere in the version (as in a shuffled file), mostly out of its reach;
    ``far`` > 0: at least that many records away from the copy (a small version then has no
    copy in reach at all).
    """
    rng = random.Random(seed)
    slots = _slots(len(base), fraction, rng)
    replaced = set(slots)
    kept = [i for i in range(len(base)) if i not in replaced]
    version = list(base)
    for slot in slots:
        if adjacent:
            original = max(i for i in kept if i < slot)
        else:
            original = rng.choice([i for i in kept if abs(i - slot) >= far] if far else kept)
        copy_ = near_duplicate(base[original], rng)
        copy_["id"] = base[slot]["id"]
        version[slot] = copy_
    return version


def with_fresh_samples(base: Sequence[Record], fresh: Sequence[Record], fraction: float,
                       seed: int) -> list[Record]:
    """``base`` with ``fraction`` of its records swapped for unused records of ``fresh`` from the
    same source (a routine refresh of the data, no new redundancy)."""
    rng = random.Random(seed)
    by_source: dict[Optional[str], list[Record]] = {}
    for record in fresh:
        by_source.setdefault(record.get("source"), []).append(record)
    for records in by_source.values():
        rng.shuffle(records)
    version = list(base)
    for slot in _slots(len(base), fraction, rng):
        pool = by_source.get(base[slot].get("source")) or max(by_source.values(), key=len)
        record = dict(pool.pop())
        record["id"] = base[slot]["id"]
        version[slot] = record
    return version


def write_versions(folder: Path, versions: dict[str, list[Record]],
                   losses: Optional[dict[str, float]] = None,
                   quality: Optional[dict[str, float]] = None) -> Path:
    """Writes each version as ``<name>.json`` and a ``versions.csv`` naming them; returns it."""
    losses, quality = losses or {}, quality or {}
    lines = ["version,path,loss,quality"]
    for name, records in versions.items():
        (folder / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")
        loss = losses.get(name, "")
        score = quality.get(name, "")
        lines.append(f"{name},{name}.json,{loss},{score}")
    csv_path = folder / "versions.csv"
    csv_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path
