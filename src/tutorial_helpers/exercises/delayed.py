"""The exercises of the dask.delayed topic (examples/10_delayed): Monte-Carlo π, lazily and in parallel.

The estimates are seeded: each chunk's count depends only on its number of points and its seed,
so the checks recount the chunks with a plain Python loop (10.1, 10.3) and compare exactly. Where
the work is too large to recount while the learner waits (10.2, up to millions of points per worker),
the check compares with π within five standard deviations of an estimate from that many points.
Besides the answer, each check reads the shape of the Dask work it came from: the graph of the
whole plan (10.1), the tasks one run computes (10.2), the timings of the alternatives (10.3).
"""

from __future__ import annotations

import functools
import math
import numbers
import random
from pathlib import Path

from dask.utils import key_split

from tutorial_helpers import bikes
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.exercises import Exercise


@functools.lru_cache(maxsize=64)
def count_inside(n_points: int, seed: int) -> int:
    """The lessons' chunk, written out again: seeded points of the unit square inside the quarter circle."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_points):
        x = rng.random()
        y = rng.random()
        inside += x * x + y * y <= 1.0
    return inside


def pi_from(n_points: int, seeds) -> float:
    """π from ``n_points`` split evenly among one chunk per seed, as the lessons combine the counts."""
    seeds = list(seeds)
    return 4 * sum(count_inside(n_points // len(seeds), seed) for seed in seeds) / n_points


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_delayed(value) -> bool:
    return type(value).__name__ == "Delayed" and hasattr(value, "__dask_graph__")


def _task_names(graph) -> dict[str, int]:
    names: dict[str, int] = {}
    for key in graph:
        names[key_split(key)] = names.get(key_split(key), 0) + 1
    return names


def _far_from_pi(answer: float, n_points: int) -> bool:
    """Further from π than five standard deviations of an estimate from ``n_points`` points."""
    p = math.pi / 4
    return abs(answer - math.pi) > 5 * 4 * math.sqrt(p * (1 - p) / n_points)


# -- 10.1: the decorator, eight seeded chunks, one plan -------------------------------------------

PI_POINTS = 1_000_000
PI_SEEDS = range(100, 108)


def _compare_delayed_pi(answer, files, plan=None) -> str | None:
    if not _is_number(answer):
        return f"The answer should be the estimate of π, a float; yours is a {type(answer).__name__}."
    if answer != pi_from(PI_POINTS, PI_SEEDS):
        if _far_from_pi(answer, PI_POINTS):
            return ("Your estimate is not even close to π: divide four times the points inside by all "
                    "1,000,000 points.")
        return ("Your estimate is close to π, but not the one that 8 chunks of 125,000 points with the "
                "seeds 100 to 107 give.")
    if plan is None:
        return ("The estimate is right; now pass the Delayed estimate you computed it from too, "
                "check(..., plan=...), so the check can see the whole plan.")
    if not _is_delayed(plan):
        return (f"plan should be the Delayed estimate, before compute(); yours is a {type(plan).__name__}.")
    names = _task_names(plan.__dask_graph__())
    calls = names.get("count_inside_lazy", 0)
    if calls == 0:
        return ("Your plan has no call of count_inside_lazy: define it with @dask.delayed and call it, "
                "one call per chunk.")
    if calls != len(PI_SEEDS):
        return f"Your plan holds {calls} call(s) of count_inside_lazy, not one per chunk."
    if len(names) == 1:
        return "Your plan holds the chunks' calls only: combine them into the estimate lazily before computing."
    return None


# -- 10.2: one chunk per worker, on the largest cluster ---------------------------------------------

SPEEDUP_POINTS_PER_CHUNK = 1_000_000  # for the course's data, scale 1
SPEEDUP_MIN_POINTS_PER_CHUNK = 100_000


def speedup_points_per_chunk(data_scale: float) -> int:
    """The lesson's points per chunk: in proportion to the data's scale, never fewer than the floor."""
    return max(SPEEDUP_MIN_POINTS_PER_CHUNK, round(SPEEDUP_POINTS_PER_CHUNK * data_scale))


def _compare_delayed_speedup(answer, files, tasks=None, seconds=None) -> str | None:
    max_workers = min(granted_cores(), 8)
    data_scale = bikes.info(Path(files[0]).parent)["scale"]
    n_points = 4 * max_workers * speedup_points_per_chunk(data_scale)  # four chunks per worker
    if not _is_number(answer):
        return f"The answer should be the estimate of π, a float; yours is a {type(answer).__name__}."
    if _far_from_pi(answer, n_points):
        return (f"Your estimate is further from π than {n_points:,} points allow: divide four times the "
                "points inside by all the points counted.")
    if not isinstance(tasks, (list, tuple)) or not tasks or not all(_is_delayed(t) for t in tasks):
        return ("The estimate is plausible; now pass the list of Delayed calls of one run too, "
                "check(..., tasks=...), built as the timed function builds them.")
    calls = [t for t in tasks if key_split(t.key) == "count_inside"]
    if len(calls) != len(tasks):
        return "tasks should hold the calls of count_inside only, one Delayed per chunk."
    if len(calls) != max_workers:
        return (f"Your run has {len(calls)} chunks; one chunk per worker of the largest cluster is "
                "as many chunks as that cluster has workers.")
    arguments = [getattr(t.__dask_graph__()[t.key], "args", ()) for t in calls]
    if all(len(args) == 2 and all(isinstance(a, numbers.Integral) for a in args) for args in arguments):
        if sum(args[0] for args in arguments) != n_points:
            return "Your chunks together count a different number of points from the lesson's runs: keep n_points in all."
        if len({args[1] for args in arguments}) != len(arguments):
            return "Some of your chunks share a seed: they then count the same points twice."
    if not isinstance(seconds, (list, tuple)) or not all(_is_number(s) and s > 0 for s in seconds):
        return ("The chunks are right; now pass the timed runs' wall times too, check(..., seconds=...), "
                "a list of seconds.")
    if len(seconds) < 3:
        return f"You timed {len(seconds)} run(s): time three, as in the lesson, and compare medians."
    return None


# -- 10.3: the same points in 2, 4, 8 and 16 tasks -------------------------------------------------

SPLIT_POINTS = 120_000  # the lesson's total_points
SPLITS = (2, 4, 8, 16)


def _compare_delayed_pitfalls(answer, files, timings=None) -> str | None:
    if not isinstance(answer, dict):
        return f"The answer should be a dict from number of tasks to estimate; yours is a {type(answer).__name__}."
    if sorted(answer) != sorted(SPLITS):
        return f"Your dict has the keys {sorted(answer)!r}: use the numbers of tasks, 2, 4, 8 and 16, as keys."
    for n in SPLITS:
        estimate = answer[n]
        if hasattr(estimate, "__dask_graph__"):
            return f"Your estimate for {n} tasks is a lazy Dask {type(estimate).__name__}: compute it first."
        if not _is_number(estimate):
            return f"Your estimate for {n} tasks should be a float; it is a {type(estimate).__name__}."
        if abs(estimate - math.pi) >= 0.01:
            return f"Your estimate for {n} tasks is not within 0.01 of π."
        if estimate != pi_from(SPLIT_POINTS, range(n)):
            return (f"Your estimate for {n} tasks is not the one pi_in_tasks({n}) gives: split the "
                    f"{SPLIT_POINTS:,} points evenly, with seeds 0 to n - 1.")
    if timings is None or not hasattr(timings, "timings"):
        return ("The estimates are right; now pass what compare returned too, check(..., timings=...), "
                "so the check can see what was timed.")
    if len(timings.timings) != len(SPLITS):
        return f"Your timings compare {len(timings.timings)} alternative(s), not the four splits."
    if any(len(t.seconds) < 3 for t in timings.timings):
        return "Some of your alternatives were timed fewer than three times: use compare's default repeat."
    return None


EXERCISES = {
    "plot_01_delayed_pi": Exercise(
        compare=_compare_delayed_pi,
        hint="decorate a function that calls count_inside with @dask.delayed, call it once per seed in "
             "range(100, 108) with 1_000_000 // 8 points, combine the calls with dask.delayed(sum) and "
             "the arithmetic, and compute that one Delayed.",
        right=lambda answer: f"π ≈ {answer:.5f}, the same as the plain loop, from one plan of 8 chunks.",
    ),
    "plot_02_delayed_speedup": Exercise(
        compare=_compare_delayed_speedup,
        hint="build max_workers calls of count_inside with n_points // max_workers points each and the "
             "seeds range(max_workers), in a function that builds them afresh, and time it with time_runs "
             "on a cluster of max_workers workers.",
        right=lambda answer: f"π ≈ {answer:.5f} from one chunk per worker, timed three times.",
    ),
    "plot_03_delayed_pitfalls": Exercise(
        compare=_compare_delayed_pitfalls,
        hint="call pi_in_tasks(n) for n in [2, 4, 8, 16] into a dict, and time the same four calls with "
             "compare({...}).",
        right=lambda answer: (f"every split of the {SPLIT_POINTS:,} points gives its seeded estimate, "
                              "within 0.01 of π."),
    ),
}
