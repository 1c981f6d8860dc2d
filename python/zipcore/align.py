"""Selecting for a target: which samples look like the user's target data, by compression.

ZIP (:func:`zipcore.select`) picks a diverse, non-redundant subset. This module answers the
other question: which samples of a pool are most like a target set (a domain, a benchmark's
style, a customer's logs). Two scores, both in C++ over the engine's pools, in parallel,
releasing the GIL:

- ``method="zipfit"``: exactly ZIP-FIT's score (arXiv 2410.18194, the ``zip-fit`` package
  1.0.9): the mean over targets t of ``1 - NCD(x, t)``, ``NCD(x, t) = (C(x + t) - min(C(x),
  C(t))) / max(C(x), C(t))``, ``C(s) = len(gzip.compress(s, level))``, averaged as ``np.mean``
  does, bit for bit (where ``build_info()["zlib_exact"]``: the engine runs Python's zlib).
  N x M gzip compressions: for a few hundred targets. The package's default
  level is 0 (gzip's stored mode, where the score depends on lengths only); ours is 9, Python's
  gzip default: ``level=0`` reproduces the package's default.
- ``method="dict"``: ``1 - C(x | T) / C(x)`` with zstd at ``level`` (3 by default): the share
  of x's compressed size that a dictionary of the whole target set (the targets joined, as raw
  content) explains. N compressions against one prepared dictionary, shared read-only by all
  threads: for large target sets and pools. About 0 where the targets do not help, towards 1
  where x is in them (a little below 0 where a dictionary costs a few header bytes); a short x
  stays further from 1, its frame header being a larger share. zstd's levels 1-4 read at most
  the last 16 MiB of a dictionary: over 16 MiB of targets the default level is 5
  (:data:`DICT_LARGE_LEVEL`), which reads all of it. For such target sets the engine widens
  zstd's window and tables (up to 2^24 slots); a sample over zstd's attach cut-off (8-32 KB by
  level) then copies those tables, milliseconds and up to 64 MiB a thread each. Building the
  dictionary is not interruptible (seconds at high levels on large target sets).

``contrast=True`` (either method) scores x against the pool's own data too, and keeps the
difference: how much closer x is to the targets than to :data:`CONTRAST_DRAWS` background sets
B, disjoint sets of the pool's distinct samples (none a target's) matched to the target set in
what the method's score depends on (below), the same on every run (of one numpy version: its
random generator, which orders them, may change between versions). Where the pool and the target
share a general style (instructions, chat), much of what T explains in x, B explains as well;
the difference keeps what is particular to the target: the importance weighting of DSIR (arXiv
2302.03169) and Moore-Lewis, with compression in place of n-gram models. Above 0 where T is
closer than the pool's data.

- ``dict``: ``mean over B of C(x | B) - C(x | T)``, in bytes: how many bytes of x's code
  length the target saves over the pool's data, a log-likelihood ratio in bytes as DSIR's
  importance weight (summed over the whole sample, not per byte: a long sample that the target
  explains throughout ranks above a short one). From about ``-C(x)`` to ``C(x)``. A dictionary
  is one body of bytes, so each B holds as many bytes as the targets (random samples, by less
  than one sample more; :func:`background_sets`): the pool needs a little more than
  ``CONTRAST_DRAWS`` times the targets' bytes.
- ``zipfit``: x's mean similarity to T less its mean similarity to B's samples (ZIP-FIT's scale,
  about -1 to 1). Its score is a mean over targets of pair similarities, each normalised by the
  pair's larger size, so it moves with the targets' lengths: each B holds, for every target,
  the unused pool sample nearest to it in length (:func:`length_matched_sets`), and the pool
  needs ``CONTRAST_DRAWS`` samples a target. (Sets matched in bytes only ranked worse for it,
  as did weighting its difference by x's size: measured.)

The sets hold distinct texts, none a target's (:func:`background_candidates`). The set that
holds x, or an exact copy of x, is left out of x's mean, since x would explain itself there; a
near-copy is not recognised and lowers x's score: deduplicate the pool first. It costs about
``1 + CONTRAST_DRAWS`` times the plain score. Measured on five mixed sources
(``bench/RESULTS.md`` section 10), precision@500 rises on average from 0.796 to 0.996 for
``zipfit`` and from 0.844 to 0.988 for ``dict`` (0.978 or more on every source, for both).

:func:`select_aligned` keeps the ``budget`` best, ties broken by index; ``diverse=True`` runs
ZIP over the ``DIVERSE_FACTOR * budget`` best instead, for "like my target, without
near-duplicates".
"""

from __future__ import annotations

import bisect
import hashlib
from typing import Any, Callable, Literal, Optional, Union

import numpy as np

from . import _core
from ._log import log
from .params import check_budget_fits, check_progress, flag, integer, thread_count
from ._pool import EncodedPool
from .progress import progress_callback
from .samples import as_pool, named_pool

Method = Literal["zipfit", "dict"]
METHODS: tuple[Method, ...] = ("zipfit", "dict")
ZIPFIT_LEVEL = 9
"""gzip's level for ``zipfit``: Python's ``gzip.compress`` default (the package's is 0)."""
DICT_LEVEL = 3
"""zstd's level for ``dict``: zstd's default, the speed and ratio the engine's zstd uses."""
DICT_LARGE_LEVEL = 5
"""... and for a target set of more than :data:`DICT_LARGE_BYTES`: zstd's levels 1-4 read at
most the last 16 MiB of a dictionary (their "short cache"), 5 and up all of it (measured: exact
copies of early targets of a 22 MB target set score 0.19-0.91 at level 3, 0.44-0.98 at 5)."""
DICT_LARGE_BYTES = 16 << 20
DIVERSE_FACTOR = 4
"""``diverse=True`` runs ZIP over the best ``DIVERSE_FACTOR * budget`` aligned samples: enough
room for ZIP to drop near-duplicates (ZIP keeps a quarter of its candidates), few enough that
the selection stays among the most aligned."""

BACKGROUND_SEED = 0
"""Seed of the random order from which ``contrast=True`` draws its background sets: fixed, so
that a pool's scores are the same on every run."""
CONTRAST_DRAWS = 3
"""How many background sets ``contrast=True`` averages over. Chosen with ``dict``'s first,
per-byte contrast (``bench/RESULTS.md`` section 10): with one set the ranking moved with the draw
(mean precision@500 0.895-0.939 over six seeds), the mean of three moved less and ranked better
(0.945-0.956), at four compressions of each sample; with the present contrasts three sets give
0.985-0.989 (``dict``, background seeds 0-5) and 0.995-0.996 (``zipfit``, two pools)."""

AlignProgress = Union[bool, Callable[[int, int], Any], None]
"""``True`` for a tqdm bar on stderr, a callable ``progress(done, total)``, or none."""


def align_scores(samples: Any, target: Any, *, method: Method = "zipfit",
                 contrast: bool = False, level: Optional[int] = None,
                 threads: Optional[int] = None, progress: AlignProgress = None,
                 column: Optional[str] = None) -> np.ndarray:
    """Each sample's alignment with ``target`` (float64, one per sample; higher is closer).

    ``samples`` and ``target`` take what :func:`zipcore.select` takes, ``column`` applying to
    both. See the module docstring for the two methods, ``contrast`` and the levels.
    ``progress``: :data:`AlignProgress`. The result does not depend on ``threads``."""
    contrast = _check_method(method, contrast)
    progress = check_progress(progress)
    pool, targets = as_pool(samples, column), named_pool("target", target, column)
    if len(targets) == 0:
        raise ValueError("the target set is empty")
    level = method_level(method, level, target_bytes=int(targets.offsets[-1]))
    count = thread_count(threads)
    if len(pool) == 0:
        return np.zeros(0, dtype=np.float64)
    with progress_callback(progress, label=f"align ({method})") as callback:
        if contrast:
            scores = _contrasted(method, pool, targets, level, count, callback)
        else:
            scores = _closeness(method, pool, targets, level, count, callback, contrast=False)
    log.debug("aligned %d samples with %d targets by %s-%d%s on %d threads", len(pool),
              len(targets), method, level, " (contrast)" if contrast else "", count)
    return scores


def select_aligned(samples: Any, target: Any, budget: int, *, method: Method = "zipfit",
                   contrast: bool = False, diverse: bool = False, level: Optional[int] = None,
                   threads: Optional[int] = None, progress: AlignProgress = None,
                   column: Optional[str] = None) -> np.ndarray:
    """The ``budget`` samples most aligned with ``target`` (int64 indices, best first; ties
    by index). ``diverse=True``: ZIP's selection (zlib, paper k's clamped) over the best
    ``DIVERSE_FACTOR * budget``, in ZIP's order. Other arguments as :func:`align_scores`."""
    diverse = bool(flag("diverse", diverse))
    _check_method(method, contrast)
    progress = check_progress(progress)
    pool = as_pool(samples, column)
    budget = checked_budget(budget, len(pool))
    scores = align_scores(pool, target if column is None else named_pool("target", target, column),
                          method=method, contrast=contrast, level=level, threads=threads,
                          progress=progress)
    return best_aligned(pool, scores, budget, diverse=diverse, threads=threads,
                        progress=progress is True)


def checked_budget(budget: Any, size: int) -> int:
    """``budget`` as a positive int that a pool of ``size`` samples holds (as ZIP's)."""
    count = integer("budget", budget)
    check_budget_fits(count, size)
    return count


def best_aligned(pool: Any, scores: np.ndarray, budget: int, *, diverse: bool = False,
                 threads: Optional[int] = None, progress: bool = False) -> np.ndarray:
    """:func:`select_aligned` from scores already made (``pool``: an EncodedPool;
    ``progress``: a bar for ZIP's run with ``diverse``)."""
    order = np.argsort(-scores, kind="stable")
    if not diverse:
        return np.asarray(order[:budget], dtype=np.int64)
    from .pool import Pool
    from .selection import select

    shortlist: np.ndarray = order[:DIVERSE_FACTOR * budget]  # the whole pool where it is smaller
    chosen = select(Pool.from_buffers(pool.data, pool.offsets).take(shortlist), budget,
                    threads=threads, progress=progress)
    return np.asarray(shortlist[chosen], dtype=np.int64)


def _check_method(method: Any, contrast: Any) -> bool:
    """``contrast`` as a bool (TypeError otherwise), and ValueError unless ``method`` is one of
    :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return bool(flag("contrast", contrast))


def background_sets(sizes: np.ndarray, target_bytes: int,
                    count: int = CONTRAST_DRAWS) -> list[np.ndarray]:
    """``count`` disjoint sets of sample indices (each sorted) for ``contrast=True``:
    consecutive runs of one random order of the pool (:data:`BACKGROUND_SEED`), each the
    shortest that holds at least ``target_bytes`` bytes (at least 1). ``sizes``: the samples'
    byte counts. ValueError where the pool runs out first."""
    need = max(int(target_bytes), 1)
    order = np.random.default_rng(BACKGROUND_SEED).permutation(len(sizes))
    reached = np.cumsum(sizes[order])
    sets: list[np.ndarray] = []
    start, base = 0, 0
    for _ in range(count):
        end = int(np.searchsorted(reached, base + need)) + 1
        if end > len(sizes):
            raise ValueError(f"dict's contrast needs a pool whose distinct samples, other than "
                             f"the targets, split into {count} random sets of at least "
                             f"{need:,} byte{'s' if need > 1 else ''} each (the target set's "
                             f"size); this one has {len(sizes):,} such samples, "
                             f"{int(sizes.sum()):,} bytes")
        sets.append(np.sort(order[start:end]))
        start, base = end, int(reached[end - 1])
    return sets


def length_matched_sets(sizes: np.ndarray, target_sizes: np.ndarray,
                        count: int = CONTRAST_DRAWS) -> list[np.ndarray]:
    """``count`` disjoint sets of sample indices (each sorted) for ``zipfit``'s
    ``contrast=True``, each with one pool sample for every target, of about its length: the
    unused sample nearest to it in length (the shorter where two are as near; samples of one
    length in a random order of the pool), the targets taken in a random order each time (both
    from :data:`BACKGROUND_SEED`). ``sizes``, ``target_sizes``: byte counts. ValueError where
    the pool has fewer than ``count`` samples a target."""
    if count * len(target_sizes) > len(sizes):
        raise ValueError(f"zipfit's contrast needs a pool of at least {count} distinct samples, "
                         f"other than the targets, for each target ({count} sets of one sample "
                         f"a target, matched in length); this one has {len(sizes):,} such "
                         f"samples for {len(target_sizes):,} targets")
    random = np.random.default_rng(BACKGROUND_SEED)
    shuffled = random.permutation(len(sizes))
    by_length = shuffled[np.argsort(sizes[shuffled], kind="stable")]
    nearest = _NearestFree(sizes[by_length].tolist())
    return [np.sort(by_length[[nearest.take(size) for size in
                               target_sizes[random.permutation(len(target_sizes))].tolist()]])
            for _ in range(count)]


class _NearestFree:
    """Sorted lengths from which each :meth:`take` removes the one nearest a size: the next
    free position on either side found by path-halving links, so that a run of taken ones is
    skipped at once (targets of one length would otherwise rescan it: quadratic)."""

    def __init__(self, lengths: list[int]) -> None:
        self.lengths = lengths
        self.up = list(range(len(lengths) + 1))  # up[i]: i, or a link towards a free one above
        self.down = list(range(len(lengths) + 1))  # the same downwards, shifted by one

    @staticmethod
    def _free(links: list[int], i: int) -> int:
        while links[i] != i:
            links[i] = links[links[i]]
            i = links[i]
        return i

    def take(self, size: int) -> int:
        """The position of the free length nearest ``size``, taken (one must be free)."""
        at = bisect.bisect_left(self.lengths, size)
        above = self._free(self.up, at)
        below = self._free(self.down, at) - 1  # shifted: down[i] stands for position i - 1
        if below < 0 or (above < len(self.lengths)
                         and self.lengths[above] - size < size - self.lengths[below]):
            chosen = above
        else:
            chosen = below
        self.up[chosen] = chosen + 1
        self.down[chosen + 1] = chosen
        return chosen


def contrast_sets(method: Method, pool: EncodedPool, targets: EncodedPool,
                  ids: Optional[np.ndarray] = None) -> list[np.ndarray]:
    """The background sets ``contrast=True`` scores ``method`` against, drawn from
    :func:`background_candidates` and matched to the targets in what the method's score depends
    on (see the module docstring). ValueError where the pool is too small for them. ``ids``:
    :func:`text_ids` of the pool and targets, where the caller has them already."""
    candidates = background_candidates(pool, targets, ids)
    sizes = np.diff(pool.offsets)[candidates]
    if method == "zipfit":
        sets = length_matched_sets(sizes, np.diff(targets.offsets))
    else:
        sets = background_sets(sizes, int(targets.offsets[-1]))
    return [candidates[members] for members in sets]


def background_candidates(pool: EncodedPool, targets: EncodedPool,
                          ids: Optional[np.ndarray] = None) -> np.ndarray:
    """The pool samples a background set may hold (sorted): the first of each distinct text,
    none with a target's bytes. A text then lies in one set at most, so only one set (x's own
    or its copy's) is left out of x's mean; and the targets are not their own background (a
    copy of a target has its length: zipfit's sets would take it first). ``ids``: as in
    :func:`contrast_sets`."""
    ids = text_ids(pool, targets) if ids is None else ids
    return np.flatnonzero(ids == np.arange(len(ids)))


def text_ids(pool: EncodedPool, targets: Optional[EncodedPool] = None) -> np.ndarray:
    """For each sample, the index of the first sample with the same bytes (its own where it is
    the first), or -1 where it has a target's bytes. Only a sample that shares its length with
    another one, or with a target, can be a copy: only those are hashed."""
    sizes = np.diff(pool.offsets)
    lengths, counts = np.unique(sizes, return_counts=True)
    suspects = np.isin(sizes, lengths[counts > 1])
    seen: dict[bytes, int] = {}
    if targets is not None:
        suspects |= np.isin(sizes, np.diff(targets.offsets))
        seen = {_digest(targets, j): -1 for j in range(len(targets))}
    ids = np.arange(len(pool), dtype=np.int64)
    for i in np.flatnonzero(suspects).tolist():
        ids[i] = seen.setdefault(_digest(pool, i), i)
    return ids


def _digest(pool: EncodedPool, i: int) -> bytes:
    """Sample ``i``'s digest. 128 bits: no two texts of one pool share one by chance; hash()
    would change per process."""
    return hashlib.blake2b(pool.data[pool.offsets[i]:pool.offsets[i + 1]].tobytes(),
                           digest_size=16).digest()


def own_sets(pool: EncodedPool, sets: list[np.ndarray],
             ids: Optional[np.ndarray] = None) -> np.ndarray:
    """``(len(sets), len(pool))`` bools: sample i is in set k, or has the same bytes as one of
    its samples (an exact copy would explain i). ``ids``: the pool's :func:`text_ids` (with
    the targets or without), where the caller has them already."""
    ids = text_ids(pool) if ids is None else ids
    return np.stack([np.isin(ids, ids[members]) for members in sets])


def _closeness(method: Method, pool: EncodedPool, reference: EncodedPool, level: int,
               threads: int, callback: Optional[Callable[[int, int], Any]],
               contrast: bool) -> np.ndarray:
    """ZIP-FIT's score; for ``dict``, ``1 - C(x | R) / C(x)``, or with ``contrast`` (what it
    compares between the targets and a background set) minus x's code length under the
    reference, ``-C(x | R)`` in bytes."""
    arguments = (pool.data, pool.offsets, reference.data, reference.offsets, level, threads,
                 callback)
    if method == "zipfit":
        return _core.zipfit_alignment(*arguments)
    alone, explained = _core.dictionary_sizes(*arguments)
    if contrast:
        return -explained.astype(np.float64)
    return np.asarray(1.0 - explained / alone, dtype=np.float64)


def _contrasted(method: Method, pool: EncodedPool, targets: EncodedPool, level: int,
                threads: int, callback: Optional[Callable[[int, int], Any]]) -> np.ndarray:
    """``contrast=True``: the closeness to the targets less the mean closeness to the
    background sets that neither hold the sample nor a copy of it."""
    from .pool import Pool

    whole = Pool.from_buffers(pool.data, pool.offsets)
    ids = text_ids(pool, targets)  # a target's copy is -1: never a set's member nor its copy
    sets = contrast_sets(method, pool, targets, ids)
    total = (1 + len(sets)) * len(pool)

    def against(reference: EncodedPool, call: int) -> np.ndarray:
        step = None if callback is None else _part(callback, call, len(pool), total)
        return _closeness(method, pool, reference, level, threads, step, contrast=True)

    on_target = against(targets, 0)
    backgrounds = np.stack([against(whole.take(members), 1 + k)
                            for k, members in enumerate(sets)])
    counted = ~own_sets(pool, sets, ids)  # at most one set holds x or a copy of it
    background = (backgrounds * counted).sum(axis=0) / counted.sum(axis=0)
    return np.asarray(on_target - background, dtype=np.float64)


def _part(callback: Callable[[int, int], Any], call: int, share: int,
          total: int) -> Callable[[int, int], Any]:
    """One engine call's ``(done, of)`` as the ``call``-th ``share`` of a run of ``total``
    (a ``zipfit`` call counts its own steps: sizes, then pairs)."""
    return lambda done, of: callback(call * share + done * share // max(of, 1), total)


def method_level(method: str, level: Optional[int], target_bytes: int = 0) -> int:
    """The level ``method`` runs at (``level``, or its default for that many bytes of
    targets), checked (ValueError)."""
    if level is None:
        if method == "zipfit":
            return ZIPFIT_LEVEL
        return DICT_LARGE_LEVEL if target_bytes > DICT_LARGE_BYTES else DICT_LEVEL
    level = integer("level", level, minimum=None)
    low, high = (0, 9) if method == "zipfit" else (1, _core.build_info()["zstd_max_level"])
    if not low <= level <= high:
        raise ValueError(f"level for {method} must be {low}..{high}, got {level}")
    return level


