"""A slow, obviously-correct ZIP selector written literally from ../shared/SPEC.md.

Nothing here is clever: every score recompresses its whole group with Python's own
``zlib.compress(b, 9)``, every ranking is Python's stable ``sorted``/``min``. It exists only so the
tests can compare zipcore's engine against the spec in code. Besides SPEC.md it states zipcore's
documented differences from the reference:

* exactly ``budget`` picks (the last round's stage 3 stops early);
* each round clamps ``k1' = min(k1, available)``, ``k2' = min(k2, k1')``,
  ``k3' = min(k3, k2', budget - len(S))``, where *available* are the samples never removed
  (removed = was in some round's T);
* when no sample is available before the budget is met, every sample not yet selected becomes
  available again, ranked by its current score ``g`` (for a removed sample, the stage-2 score it
  had when it was removed).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np


def sample_bytes(sample: Any) -> bytes:
    """The bytes of one sample: a record is ``repr(record)`` in UTF-8, str is UTF-8, bytes as is."""
    if isinstance(sample, Mapping):
        return repr(sample).encode("utf-8")
    if isinstance(sample, str):
        return sample.encode("utf-8")
    return bytes(sample)


def group_bytes(members: Sequence[bytes]) -> bytes:
    """``b"[" + b", ".join(members) + b"]"``, what ``str(list)`` gives for records."""
    return b"[" + b", ".join(members) + b"]"


def ratio(members: Sequence[bytes]) -> float:
    """Raw bytes / zlib level-9 bytes of the whole group, in double precision."""
    whole = group_bytes(members)
    return len(whole) / len(zlib.compress(whole, 9))


def score(members: Sequence[bytes]) -> float:
    """``ratio`` rounded to float32, as the reference keeps it in a float32 tensor."""
    return float(np.float32(ratio(members)))


def zip_select(
    samples: Sequence[Any], budget: int, k1: int, k2: int, k3: int
) -> tuple[list[int], list[dict[str, Any]]]:
    """ZIP selection; returns (indices in selection order, one summary dict per round).

    The round dicts hold what zipcore's ``select_with_stats`` reports: candidates, shortlisted,
    picked, selected and pool_restored.
    """
    r = [sample_bytes(s) for s in samples]
    n = len(r)
    assert 0 < budget <= n and k1 >= k2 >= k3 >= 1

    # 1. Global scores.
    g = [score([r[i]]) for i in range(n)]

    S: list[int] = []
    removed: set[int] = set()
    rounds: list[dict[str, Any]] = []
    while len(S) < budget:
        restored = False
        available = [i for i in range(n) if i not in removed]
        if not available:
            # Only what was selected stays removed; everything else competes again by its g.
            removed = set(S)
            available = [i for i in range(n) if i not in removed]
            restored = True
        k1_ = min(k1, len(available))
        k2_ = min(k2, k1_)
        k3_ = min(k3, k2_, budget - len(S))

        # Stage 1: the k1 smallest g, ties in pool-index order (available is in index order).
        C = sorted(available, key=lambda i: g[i])[:k1_]

        # Stage 2: rescore against the whole selection; the new scores persist in g.
        for c in C:
            g[c] = score([r[s] for s in S] + [r[c]])
        T = sorted(C, key=lambda c: g[c])[:k2_]
        removed.update(T)

        # Stage 3: U starts empty; min() returns the first minimum, i.e. the earliest in T.
        U: list[int] = []
        remaining = list(T)
        for _ in range(k3_):
            h = {t: score([r[u] for u in U] + [r[t]]) for t in remaining}
            best = min(remaining, key=lambda t: h[t])
            U.append(best)
            remaining.remove(best)

        S = S + U
        rounds.append({
            "round": len(rounds) + 1,
            "candidates": len(C),
            "shortlisted": len(T),
            "picked": len(U),
            "selected": len(S),
            "pool_restored": restored,
        })
    return S, rounds


def select(samples: Sequence[Any], budget: int, k1: int, k2: int, k3: int) -> list[int]:
    """Just the indices of :func:`zip_select`."""
    return zip_select(samples, budget, k1, k2, k3)[0]
