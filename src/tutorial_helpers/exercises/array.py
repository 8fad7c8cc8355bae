"""The exercises of the Dask Array topic (examples/03_array).

The references are made with NumPy alone, from the same seeded random generators the lessons
use: ``np.random.default_rng(42)`` for lesson 3.1's array, and for lesson 3.2's big array the
per-chunk generators ``dask.array.random.default_rng(2019)`` hands its chunks (one
``SeedSequence`` child each, spawned in the order of the chunks), so the reference reproduces
every number without Dask computing anything.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from itertools import product

import numpy as np

from tutorial_helpers.cores import granted_cores
from tutorial_helpers.exercises import Exercise, differs

# -- 3.1: the mean over the quantities, chunked so that it combines nothing ----------------------

_SHAPE = (1000, 200, 6)


@functools.lru_cache(maxsize=1)
def _lesson_data() -> np.ndarray:
    """Lesson 3.1's array, made again from its seed: 1000 time steps × 200 sensors × 6 quantities."""
    return np.random.default_rng(42).random(_SHAPE)


def _tasks_that_combine(collection) -> int:
    """How many entries of a Dask collection's graph take the results of several others."""
    return sum(len(inputs) > 1 for inputs in collection.dask.get_all_dependencies().values())


def _compare_mean_over_quantities(answer, files, chunked=None) -> str | None:
    problem = differs(np.asarray(answer), _lesson_data().mean(axis=2), "Your mean over the quantities")
    if problem:
        return problem
    if not hasattr(chunked, "chunks") or not hasattr(chunked, "__dask_graph__"):
        return "Pass the Dask array you chunked as `chunked`, so the check can see its chunks."
    if chunked.shape != _SHAPE or chunked.dtype != np.float64:
        return "`chunked` is not the lesson's `data` array split into chunks (its shape or dtype differs)."
    if set(chunked.chunks[0]) != {50}:
        return "`chunked` does not hold 50 time steps in every chunk, as the exercise asks."
    if chunked.numblocks[2] != 1 or _tasks_that_combine(chunked.mean(axis=2)):
        return (f"`chunked` splits the quantities over {chunked.numblocks[2]} chunks, so its mean over "
                "them has tasks that combine several chunks.")
    return None


# -- 3.2: the standard deviation and the largest value of the big random array -------------------

_BIG_SEED, _BIG_SHAPE, _BIG_CHUNKS = 2019, (14_000, 14_000), 1_400


def _block_moments(seed: np.random.SeedSequence, size: tuple[int, ...]) -> tuple[int, float, float, float]:
    """Count, mean, sum of squared deviations and maximum of one chunk, generated as Dask does."""
    block = np.random.default_rng(np.random.PCG64(seed)).random(size)
    top, mean = block.max(), block.mean()
    block -= mean
    np.square(block, out=block)
    return block.size, float(mean), float(block.sum()), float(top)


@functools.lru_cache(maxsize=1)
def _big_std_and_max() -> tuple[float, float]:
    """Std and max of ``da.random.default_rng(2019).random((14_000, 14_000), chunks=1_400)``, chunk by chunk in NumPy."""
    import dask.array as da  # only to spell out the chunk sizes; nothing is computed with Dask

    chunks = da.core.normalize_chunks(_BIG_CHUNKS, _BIG_SHAPE, dtype=np.float64)
    sizes = list(product(*chunks))
    seeds = np.random.SeedSequence(_BIG_SEED).spawn(len(sizes))
    with ThreadPoolExecutor(granted_cores()) as pool:  # NumPy releases the GIL while it generates
        parts = list(pool.map(_block_moments, seeds, sizes))
    count, mean, squares = 0, 0.0, 0.0
    for n, block_mean, block_squares, _ in parts:  # Chan et al.'s pairwise update of mean and squares
        delta, total = block_mean - mean, count + n
        mean += delta * n / total
        squares += block_squares + delta**2 * count * n / total
        count = total
    return math.sqrt(squares / count), max(part[3] for part in parts)


def _compare_std_and_max(answer, files) -> str | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return (f"The answer should be a pair (standard deviation, largest value); yours is a "
                f"{type(answer).__name__}{f' of {len(answer)}' if isinstance(answer, (tuple, list)) else ''}.")
    if any(hasattr(value, "__dask_graph__") for value in answer):
        return "Your pair holds lazy Dask arrays, not computed yet: compute both in one dask.compute call."
    if not all(isinstance(value, (int, float, np.number)) for value in answer):
        return "The pair should hold two numbers, computed from `big`."
    if math.isclose(answer[0], 1 / math.sqrt(12), rel_tol=1e-9) or answer[1] == 1:
        return "Your pair holds what theory expects, not what `big` holds."
    std, top = _big_std_and_max()
    # Population (ddof=0) or sample (ddof=1) std: both pass, they differ by 1e-9 here.
    same = {"std": functools.partial(math.isclose, b=std, rel_tol=1e-8),
            "max": functools.partial(math.isclose, b=top, rel_tol=1e-12)}
    if same["std"](float(answer[1])) and same["max"](float(answer[0])):
        return "Your pair is in the wrong order: the standard deviation first, then the largest value."
    if not same["std"](float(answer[0])):
        return f"Your standard deviation is {'too high' if answer[0] > std else 'too low'}."
    if not same["max"](float(answer[1])):
        return f"Your largest value is {'too high' if answer[1] > top else 'too low'}."
    return None


EXERCISES = {
    "plot_01_array_chunks": Exercise(
        compare=_compare_mean_over_quantities,
        hint="a mean over axis 2 combines nothing when every chunk holds all of axis 2; "
             "count the tasks that combine with `graph_size`.",
        right=lambda answer: "the mean over the quantities matches NumPy's, and its chunks need no combining.",
    ),
    "plot_02_array_out_of_core": Exercise(
        compare=_compare_std_and_max,
        hint="compute big.std() and big.max() together with dask.compute, and give them in that order.",
        right=lambda answer: f"std {answer[0]:.6f} and max {answer[1]:.9f} of `big`, exactly as NumPy finds them.",
    ),
}
