"""Results checks for the lessons in examples/06_partitioning."""

import math

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.array.core import normalize_chunks
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

    # Exercise: the week read from the one partition that holds it.
    week = july[(july["starttime"] >= "2019-07-01") & (july["starttime"] < "2019-07-08")]
    want = week["starttime"].dt.day.value_counts().sort_index()
    pd.testing.assert_series_equal(
        namespace["answer"], want, check_names=False, check_dtype=False, check_index_type=False
    )
    assert namespace["week"].known_divisions and namespace["week"].npartitions == 1


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
    # Exercise: the chunks Dask chose by itself, counted.
    assert [t.name for t in namespace["auto_timing"].timings] == ["chunks='auto'"]
    auto = normalize_chunks("auto", (n_points, 2), dtype=np.float64)
    assert namespace["auto"].chunks == auto
    assert namespace["answer"] == namespace["auto"].numblocks[0] == len(auto[0])


CHECKS = {
    "plot_01_partitions_and_chunks": check_partitions_and_chunks,
    "plot_02_partition_size": check_partition_size,
}


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------

TRIP_DTYPES = {"birth year": "float64", "end station id": "float64"}


def _by_time(files):
    """The lesson's trips indexed by start time, one partition per month, divisions known."""
    trips = dd.read_csv(files, dtype=TRIP_DTYPES, parse_dates=["starttime", "stoptime"])
    month_starts = list(pd.date_range("2019-01-01", periods=len(files) + 1, freq="MS"))
    return trips.set_index("starttime", sorted=True, divisions=month_starts)


def _starts(files):
    return pd.concat([pd.read_csv(f, usecols=["starttime"], parse_dates=["starttime"]) for f in files])["starttime"]


def _eight_days(files):
    """The slice's end taken as excluded, as in Python: the 8th is counted too."""
    week = _by_time(files).loc["2019-07-01":"2019-07-08"]
    return {"answer": week.index.to_series().dt.day.value_counts().compute(scheduler="sync"), "week": week}


def _day_of_week(files):
    starts = _starts(files)
    week = starts[(starts >= "2019-07-01") & (starts < "2019-07-08")]
    return {"answer": week.dt.day_of_week.value_counts()}


def _filtered_not_selected(files):
    """Right counts, from a filter on a column: every partition is read."""
    trips = dd.read_csv(files, dtype=TRIP_DTYPES, parse_dates=["starttime", "stoptime"])
    week = trips[(trips["starttime"] >= "2019-07-01") & (trips["starttime"] < "2019-07-08")]
    return {"answer": week["starttime"].dt.day.value_counts().compute(scheduler="sync"), "week": week}


N_POINTS = 5_000_000  # the lesson's n_points


def _number_of_axes(files):
    auto = da.random.default_rng(42).random((N_POINTS, 2))
    return {"answer": len(auto.chunks), "array": auto}


def _points_per_chunk(files):
    auto = da.random.default_rng(42).random((N_POINTS, 2))
    return {"answer": auto.chunksize[0], "array": auto}


def _chunked_by_hand(files):
    """The sweep's four chunks, counted right, but not Dask's own choice."""
    four = da.random.default_rng(42).random((N_POINTS, 2), chunks=(N_POINTS // 4, 2))
    return {"answer": four.numblocks[0], "array": four}


def _blocks_tuple(files):
    auto = da.random.default_rng(42).random((N_POINTS, 2))
    return {"answer": auto.numblocks, "array": auto}


WRONG_ANSWERS = {
    "plot_01_partitions_and_chunks": [_eight_days, _day_of_week, _filtered_not_selected],
    "plot_02_partition_size": [_number_of_axes, _points_per_chunk, _chunked_by_hand, _blocks_tuple],
}
