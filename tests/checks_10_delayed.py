"""Results checks for the lessons in examples/10_delayed: the delayed π equals a plain Python loop."""

import math
import random

import numpy as np
from tutorial_helpers.cores import granted_cores


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
    assert namespace["exercise_pi"] == 4 * sum(exercise_want) / 1_000_000


def check_delayed_speedup(namespace, files):
    want = [count_inside(namespace["points_per_chunk"], seed) for seed in namespace["seeds"]]
    assert namespace["counts"] == want
    assert namespace["cluster_counts"] == want
    max_workers = min(granted_cores(), 8)
    assert namespace["n_chunks"] == 4 * max_workers
    # The work is proportional to the largest cluster: a million points per chunk.
    n_points = namespace["n_chunks"] * namespace["points_per_chunk"]
    assert namespace["n_points"] == n_points == 4_000_000 * max_workers
    speedups = namespace["speedups"]
    assert list(speedups.index) == namespace["worker_counts"]
    assert namespace["worker_counts"][0] == 1 and namespace["worker_counts"][-1] == max_workers
    assert all(n <= 8 for n in namespace["worker_counts"])
    assert all(len(s) == 3 for s in namespace["cluster_seconds"].values())
    assert len(namespace["serial_seconds"]) == 3 and len(namespace["big_chunk_seconds"]) == 3
    np.testing.assert_allclose(speedups.loc[1, "vs 1 worker"], 1.0)
    np.testing.assert_allclose(
        speedups["vs serial"],
        np.median(namespace["serial_seconds"]) / speedups["median (s)"],
    )


def check_delayed_pitfalls(namespace, files):
    total = namespace["total_points"]
    timings = namespace["task_size_timings"]
    assert [t.name for t in timings.timings] == [
        f"{n:,} tasks of {total // n:,} points" for n in (2, 10, 50, 250)
    ]
    assert [t.name for t in namespace["loop_timings"].timings] == ["compute() in the loop", "one dask.compute"]
    values, thresholds = namespace["values"], namespace["thresholds"]
    assert [t.name for t in namespace["big_input_timings"].timings] == [
        "array in every call", "dask.delayed(array) once", "array made by a task"
    ]
    np.testing.assert_array_equal(values, np.random.default_rng(0).random(2_000_000))
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
    # warning of about 16 MB each; the array made by a task keeps the graph small
    warned = namespace["graph_warnings"]
    for way in ("array in every call", "dask.delayed(array) once"):
        assert len(warned[way]) == 1 and "Sending large graph of size 15.26 MiB" in warned[way][0], warned
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


CHECKS = {
    "plot_01_delayed_pi": check_delayed_pi,
    "plot_02_delayed_speedup": check_delayed_speedup,
    "plot_03_delayed_pitfalls": check_delayed_pitfalls,
}
