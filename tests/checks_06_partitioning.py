"""Results checks for the lessons in examples/06_partitioning."""

import math

import numpy as np
import pandas as pd

from dask.utils import parse_bytes


def _blocks(size: int, blocksize) -> int:
    """Partitions read_csv makes of one file: size // blocksize pieces, at least one."""
    if blocksize is None:
        return 1
    return max(1, size // parse_bytes(blocksize))


def check_partitions_and_chunks(namespace, files):
    counts = namespace["partition_counts"].set_index("blocksize")["npartitions"]
    for blocksize in ["16MB", "10MB", "4MB"]:
        assert counts[blocksize] == sum(_blocks(f.stat().st_size, blocksize) for f in files)
    assert counts["None"] == len(files)

    july = pd.read_csv(files[6], parse_dates=["starttime"])
    july_4th = july[july["starttime"].dt.date == pd.Timestamp("2019-07-04").date()]
    got = namespace["july_4th"]
    assert len(got) == len(july_4th)
    assert sorted(got["tripduration"]) == sorted(july_4th["tripduration"])

    # set_index on partitions already in order: no shuffle step in the plan.
    steps = namespace["plan_steps"]
    assert "SetIndexBlockwise" in steps and "SortIndexBlockwise" in steps
    assert not any("Shuffle" in step or "SetPartition" in step for step in steps)
    # A groupby aggregation on one key: one output partition per 15 in, shuffled with P2P.
    for n_in, n_out in namespace["out_partitions"].items():
        assert n_out == math.ceil(n_in / 15)
    assert namespace["shuffle_method"] == "p2p"

    winter = pd.concat([pd.read_csv(path) for path in files[:3]], ignore_index=True)
    n_long = int((winter["tripduration"] > 60 * 60).sum())
    assert int(namespace["lengths"].sum()) == n_long
    sizes = namespace["sizes"]
    assert len(namespace["lengths"]) == len(sizes)
    assert [t.name for t in namespace["groupby_timings"].timings][1] == "repartition(npartitions=2) first"
    assert namespace["target"] == 200_000
    assert namespace["by_hand"].npartitions == math.ceil(sizes.sum() / namespace["target"])
    # partition_size=: every row kept, in fewer partitions than the filter made
    assert sum(namespace["by_size_lengths"]) == n_long
    assert 1 <= len(namespace["by_size_lengths"]) <= len(namespace["lengths"])

    # Exercise
    week = july[(july["starttime"] >= "2019-07-01") & (july["starttime"] < "2019-07-08")]
    want = week["starttime"].dt.day.value_counts().sort_index()
    pd.testing.assert_series_equal(
        namespace["trips_per_day"], want, check_names=False, check_dtype=False, check_index_type=False
    )


def check_partition_size(namespace, files):
    import dask.array as da

    n_points = namespace["n_points"]
    xy = da.random.default_rng(42).random((n_points, 2), chunks=(n_points // 4, 2)).compute()
    assert np.isclose(namespace["pi_estimate"], 4 * ((xy**2).sum(axis=1) < 1).mean())

    medians = namespace["medians"]
    counts = namespace["chunk_counts"]
    assert len(medians) == len(counts) == len(namespace["sweep"].timings)
    assert all(len(t.seconds) == 3 for t in namespace["sweep"].timings)
    assert medians[namespace["best"]] == min(medians)
    tasks = namespace["tasks"]
    assert [tasks[n] for n in counts] == sorted(tasks[n] for n in counts)  # more chunks, more tasks
    assert np.isclose(
        namespace["per_task"], (medians[-1] - medians[-2]) / (tasks[counts[-1]] - tasks[counts[-2]])
    )
    # An Array's compute() ran its optimised graph: the task stream's count matches dask.optimize's.
    assert namespace["tasks_run"] == tasks[counts[-1]]
    assert np.isclose(namespace["array_mb"], n_points * 2 * 8 / 1e6)
    # Exercise
    assert [t.name for t in namespace["auto_timing"].timings] == ["chunks='auto'"]


CHECKS = {
    "plot_01_partitions_and_chunks": check_partitions_and_chunks,
    "plot_02_partition_size": check_partition_size,
}
