"""Results checks for the lessons in examples/10_delayed: the delayed π equals a plain Python loop."""

import functools
import math
import random

import dask
import numpy as np
from tutorial_helpers import bikes
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.exercises.delayed import SPLIT_POINTS, SPLITS, speedup_points_per_chunk


def count_inside(n_points, seed):
    """The reference count, written out again: plain Python, one seeded generator per chunk."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_points):
        x = rng.random()
        y = rng.random()
        inside += x * x + y * y <= 1.0
    return inside


def check_delayed_pi(namespace, files):
    n, per_chunk, seeds = namespace["n_points"], namespace["points_per_chunk"], namespace["seeds"]
    want = [count_inside(per_chunk, seed) for seed in seeds]
    assert namespace["serial_counts"] == want
    assert namespace["delayed_counts"] == want, "same seeds must give identical counts"
    assert namespace["pi_delayed"] == namespace["pi_serial"] == 4 * sum(want) / n
    assert abs(namespace["pi_delayed"] - math.pi) < 0.01
    assert namespace["pi_eight"] == 4 * sum(count_inside(n // 8, s) for s in range(8)) / n
    # The graph the page draws and describes: four calls, one sum, the arithmetic on top.
    assert namespace["tasks_by_name"] == {"count_inside": 4, "sum": 1, "mul": 1, "truediv": 1}
    assert len(namespace["lazy_pi"].dask) == 7
    # compute() ran on the lesson's own cluster, the client's default scheduler.
    assert namespace["on_client"] is True
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"
    exercise_seeds = range(100, 108)
    exercise_want = [count_inside(125_000, seed) for seed in exercise_seeds]
    assert namespace["exercise_computed"] == exercise_want
    assert namespace["answer"] == namespace["exercise_pi"] == 4 * sum(exercise_want) / 1_000_000


def check_delayed_speedup(namespace, files):
    want = [count_inside(namespace["points_per_chunk"], seed) for seed in namespace["seeds"]]
    assert namespace["counts"] == want
    assert namespace["cluster_counts"] == want
    max_workers = min(granted_cores(), 8)
    assert namespace["n_chunks"] == 4 * max_workers
    # The work follows the data's scale, as the page says: a million points per chunk at scale 1,
    # in proportion otherwise, at least 100,000; and four chunks per worker of the largest cluster.
    data_scale = bikes.info(files[0].parent)["scale"]
    assert namespace["data_scale"] == data_scale
    want_per_chunk = max(100_000, round(1_000_000 * data_scale))
    assert namespace["points_per_chunk"] == want_per_chunk == speedup_points_per_chunk(data_scale)
    n_points = namespace["n_chunks"] * namespace["points_per_chunk"]
    assert namespace["n_points"] == n_points == 4 * want_per_chunk * max_workers
    speedups = namespace["speedups"]
    assert list(speedups.index) == namespace["worker_counts"]
    assert namespace["worker_counts"][0] == 1 and namespace["worker_counts"][-1] == max_workers
    assert all(n <= 8 for n in namespace["worker_counts"])
    assert all(len(s) == 3 for s in namespace["cluster_seconds"].values())
    assert len(namespace["serial_seconds"]) == 3 and len(namespace["big_chunk_seconds"]) == 3
    # The exercise: one chunk per worker of the largest cluster, the same points in all.
    assert len(namespace["exercise_tasks"]) == max_workers
    assert namespace["answer"] == 4 * sum(namespace["big_chunk_counts"]) / n_points
    assert abs(namespace["answer"] - math.pi) < 0.01
    np.testing.assert_allclose(speedups.loc[1, "vs 1 worker"], 1.0)
    np.testing.assert_allclose(
        speedups["vs serial"],
        np.median(namespace["serial_seconds"]) / speedups["median (s)"],
    )


def check_delayed_pitfalls(namespace, files):
    total = namespace["total_points"]
    timings = namespace["task_size_timings"]
    # the same work split ever finer: every split divides the points exactly
    assert total == 120_000 and all(total % n == 0 for n in namespace["task_counts"])
    assert [t.name for t in timings.timings] == [
        f"{n:,} tasks of {total // n:,} points" for n in (2, 10, 40, 120)
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert [t.name for t in namespace["loop_timings"].timings] == ["compute() in the loop", "one dask.compute"]
    values, thresholds = namespace["values"], namespace["thresholds"]
    assert [t.name for t in namespace["big_input_timings"].timings] == [
        "array in every call", "dask.delayed(array) once", "array made by a task"
    ]
    np.testing.assert_array_equal(values, np.random.default_rng(0).random(1_500_000))
    assert values.nbytes == 12_000_000
    # the last way printed: the array made by a task on the workers
    assert list(namespace["counts"]) == [int(np.count_nonzero(values > t)) for t in thresholds]
    # pitfall 1: the eager and the lazy call hold the same count
    assert namespace["lazy_count"].compute() == namespace["eager_count"].compute() == count_inside(100_000, 0)
    # pitfall 4: the nested version returns Delayed objects; the fix counts
    assert all(type(d).__name__ == "Delayed" for d in namespace["returned"])
    assert list(namespace["nested_fixed"]) == [count_inside(total // 4, seed) for seed in range(4)]
    # pitfall 3: the loop handed the cluster one task at a time, one dask.compute several
    threads = namespace["worker_threads"]
    assert namespace["at_once"] == {"compute() in the loop": 1, "one dask.compute": min(8, threads)}
    assert namespace["loop_counts"] == namespace["once_counts"] == [count_inside(50_000, s) for s in range(8)]
    # pitfall 5: the array in the graph, in every call or once, is sent once: one large-graph
    # warning of about 12 MB each, over the default 10 MB threshold; the array made by a task
    # keeps the graph small
    assert dask.config.get("distributed.admin.large-graph-warning-threshold") == "10MB"
    warned = namespace["graph_warnings"]
    for way in ("array in every call", "dask.delayed(array) once"):
        assert len(warned[way]) == 1 and "Sending large graph of size 11.45 MiB" in warned[way][0], warned
    assert warned["array made by a task"] == []
    # pitfall 6: in this process the input changed and every call was recorded
    assert namespace["recorded_sync"] == (0, 1, 2, 3)
    # ... on the cluster, the tasks worked on copies sent over TCP: nothing changed here
    np.testing.assert_array_equal(namespace["data_elsewhere"], [1.0, 2.0, 4.0])
    assert namespace["total_elsewhere"] == 7.0
    assert namespace["calls_recorded_here"] == 0
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"
    # pitfall 6 ends with the fixed function: the input is untouched, the sum is of the originals
    np.testing.assert_array_equal(namespace["data"], [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(namespace["scaled"], [0.25, 0.5, 1.0])
    assert namespace["total"] == 7.0
    for n, estimate in namespace["split_estimates"].items():
        assert estimate == 4 * sum(count_inside(total // n, seed) for seed in range(n)) / total
    assert namespace["answer"] == namespace["split_estimates"]
    assert len(namespace["exercise_timings"].timings) == 4


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------

_counted = functools.cache(count_inside)


def _pi(n_points, seeds):
    seeds = list(seeds)
    return 4 * sum(_counted(n_points // len(seeds), seed) for seed in seeds) / n_points


def _decorated(n_points, seed):
    @dask.delayed
    def count_inside_lazy(n_points, seed):
        return count_inside(n_points, seed)

    return count_inside_lazy(n_points, seed)


def _pi_plan(counts, n_points=1_000_000):
    return dask.delayed(sum)(counts) * 4 / n_points


def _seeds_of_the_lesson(files):
    """Seeds 0 to 7, as in the lesson, not 100 to 107."""
    counts = [_decorated(125_000, seed) for seed in range(8)]
    return {"answer": _pi(1_000_000, range(8)), "plan": _pi_plan(counts)}


def _one_seed_for_every_chunk(files):
    """Seed 100 for all eight chunks (the instructor's question): the same points eight times."""
    counts = [_decorated(125_000, 100) for _ in range(8)]
    return {"answer": 4 * 8 * _counted(125_000, 100) / 1_000_000, "plan": _pi_plan(counts)}


def _divided_by_one_chunk(files):
    """The right counts, divided by the points of one chunk."""
    counts = [_decorated(125_000, seed) for seed in range(100, 108)]
    total = sum(_counted(125_000, seed) for seed in range(100, 108))
    return {"answer": 4 * total / 125_000, "plan": _pi_plan(counts, 125_000)}


def _not_decorated(files):
    """Right estimate, but the plan calls dask.delayed(count_inside): no decorated function."""
    counts = [dask.delayed(count_inside)(125_000, seed) for seed in range(100, 108)]
    return {"answer": _pi(1_000_000, range(100, 108)), "plan": _pi_plan(counts)}


def _computed_in_a_loop(files):
    """Each chunk computed on its own in a loop: the only Delayed left is the last chunk."""
    counts = [_decorated(125_000, seed) for seed in range(100, 108)]
    answer = 4 * sum(c.compute(scheduler="sync") for c in counts) / 1_000_000
    return {"answer": answer, "plan": counts[-1]}


def _counts_as_the_plan(files):
    """The computed counts passed as the plan: a list, not the Delayed estimate."""
    return {"answer": _pi(1_000_000, range(100, 108)),
            "plan": [_counted(125_000, seed) for seed in range(100, 108)]}


def _simulated_pi(n_points, seed=0):
    """A π estimate as plausible as counting ``n_points`` seeded points, drawn at once with NumPy."""
    inside = np.random.default_rng(seed).binomial(n_points, math.pi / 4)
    return 4 * inside / n_points


def _speedup_sizes(files):
    """The largest cluster, the lesson's points per chunk (following the data's scale) and n_points."""
    max_workers = min(granted_cores(), 8)
    per_chunk = speedup_points_per_chunk(bikes.info(files[0].parent)["scale"])
    return max_workers, per_chunk, 4 * per_chunk * max_workers


def _four_chunks_per_worker(files):
    """The lesson's own run, four chunks per worker, passed as the exercise's."""
    max_workers, per_chunk, n_points = _speedup_sizes(files)
    tasks = [dask.delayed(count_inside)(per_chunk, seed) for seed in range(4 * max_workers)]
    return {"answer": _simulated_pi(n_points), "tasks": tasks, "seconds": [1.0, 1.1, 1.2]}


def _the_lessons_points_per_chunk(files):
    """One chunk per worker, but of the lesson's points per chunk: a quarter of the work."""
    max_workers, per_chunk, _ = _speedup_sizes(files)
    tasks = [dask.delayed(count_inside)(per_chunk, seed) for seed in range(max_workers)]
    return {"answer": _simulated_pi(per_chunk * max_workers), "tasks": tasks, "seconds": [1.0, 1.1, 1.2]}


def _divided_by_one_chunk_of_the_run(files):
    """The counts of one chunk per worker, divided by the points of one chunk."""
    max_workers, _, n_points = _speedup_sizes(files)
    estimate = _simulated_pi(n_points) * max_workers
    tasks = [dask.delayed(count_inside)(n_points // max_workers, seed) for seed in range(max_workers)]
    return {"answer": estimate, "tasks": tasks, "seconds": [1.0, 1.1, 1.2]}


def _one_seed_per_run(files):
    """Every chunk seeded 0."""
    max_workers, _, n_points = _speedup_sizes(files)
    tasks = [dask.delayed(count_inside)(n_points // max_workers, 0) for _ in range(max_workers)]
    if max_workers == 1:  # one chunk cannot share its seed: time it once instead
        return {"answer": _simulated_pi(n_points), "tasks": tasks, "seconds": [1.0]}
    return {"answer": _simulated_pi(n_points), "tasks": tasks, "seconds": [1.0, 1.1, 1.2]}


def _timed_once(files):
    """The right run, timed once."""
    max_workers, _, n_points = _speedup_sizes(files)
    tasks = [dask.delayed(count_inside)(n_points // max_workers, seed) for seed in range(max_workers)]
    return {"answer": _simulated_pi(n_points), "tasks": tasks, "seconds": [1.0]}


def _split_timings(splits):
    from tutorial_helpers.timing import compare

    return compare({f"{n} tasks": lambda n=n: _pi(SPLIT_POINTS, range(n)) for n in splits}, warmup=0)


def _without_sixteen(files):
    """Only three splits."""
    return {"answer": {n: _pi(SPLIT_POINTS, range(n)) for n in SPLITS[:3]},
            "timings": _split_timings(SPLITS[:3])}


def _one_seed_for_every_task(files):
    """Every task of a split seeded 0: the same points n times."""
    answer = {n: 4 * n * _counted(SPLIT_POINTS // n, 0) / SPLIT_POINTS for n in SPLITS}
    return {"answer": answer, "timings": _split_timings(SPLITS)}


def _lazy_estimates(files):
    """The estimates as Delayed objects, never computed."""
    answer = {n: dask.delayed(sum)([dask.delayed(count_inside)(SPLIT_POINTS // n, s) for s in range(n)])
              * 4 / SPLIT_POINTS for n in SPLITS}
    return {"answer": answer, "timings": _split_timings(SPLITS)}


def _two_splits_timed(files):
    """Right estimates, but only two of the splits timed."""
    return {"answer": {n: _pi(SPLIT_POINTS, range(n)) for n in SPLITS}, "timings": _split_timings(SPLITS[:2])}


WRONG_ANSWERS = {
    "plot_01_delayed_pi": [_seeds_of_the_lesson, _one_seed_for_every_chunk, _divided_by_one_chunk,
                           _not_decorated, _computed_in_a_loop, _counts_as_the_plan],
    "plot_02_delayed_speedup": [_four_chunks_per_worker, _the_lessons_points_per_chunk,
                                _divided_by_one_chunk_of_the_run, _one_seed_per_run, _timed_once],
    "plot_03_delayed_pitfalls": [_without_sixteen, _one_seed_for_every_task, _lazy_estimates, _two_splits_timed],
}


CHECKS = {
    "plot_01_delayed_pi": check_delayed_pi,
    "plot_02_delayed_speedup": check_delayed_speedup,
    "plot_03_delayed_pitfalls": check_delayed_pitfalls,
}
