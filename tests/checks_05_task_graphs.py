"""Results checks for the lessons in examples/05_task_graphs."""

import functools

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.utils import key_split
from distributed import futures_of

from tutorial_helpers.exercises.task_graphs import read_columns


def _trips(files):
    return pd.concat([pd.read_csv(path) for path in files], ignore_index=True)


def _long_rides(files):
    trips = _trips(files).dropna()
    return trips[trips["tripduration"] > 30 * 60]


def _assert_series(got, want):
    pd.testing.assert_series_equal(
        got.sort_index(), want.sort_index(), check_names=False, check_exact=False, rtol=1e-9,
        check_dtype=False, check_index_type=False,  # Dask returns Arrow-backed dtypes
    )


def _is_a_median(value, values):
    """An approximate median: at least a quarter of the values on each side."""
    share_below = (values < value).mean()
    return 0.25 <= share_below <= 0.75


def check_compute_and_persist(namespace, files):
    months = files[:2]
    rides = _long_rides(months)
    _assert_series(namespace["per_station"], rides.groupby("start station name")["tripduration"].sum())
    assert _is_a_median(namespace["median_seconds"], rides["tripduration"])
    assert _is_a_median(namespace["median_minutes"] * 60, rides["tripduration"])
    with open(months[0]) as stream:
        assert [line for line in namespace["first_lines"]] == [stream.readline(), stream.readline()]
    assert 0 < namespace["held"] < namespace["held_everything"]
    timings = namespace["sharing"]
    assert [t.name for t in timings.timings] == [
        "compute() twice", "dask.compute(median, per_station)", "persist(), then compute() twice"
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    # What the cluster ran (task stream): dask.compute runs the unfused plan, persist() the fused one.
    assert namespace["tasks_together"] == len(namespace["unfused"])
    assert namespace["tasks_together"] > len(namespace["fused"])
    assert namespace["tasks_persisted"] == namespace["tasks_rides_fused"] == len(months)
    assert namespace["tasks_rides_unfused"] > namespace["tasks_persisted"]
    # Exercise: both answers from one read of each file (the task stream of the solution), nothing persisted.
    counts, longest_minutes = namespace["answer"]
    _assert_series(counts, rides["usertype"].value_counts())
    assert longest_minutes == rides["tripduration"].max() / 60
    reads = [key_split(t["key"]) for t in namespace["stream"].data if key_split(t["key"]).startswith("read")]
    assert reads == ["read-csv"] * len(months)
    assert not futures_of(namespace["fresh"])


def check_optimized_graphs(namespace, files):
    months = files[:3]
    trips = _trips(months)
    long_rides = trips[trips["tripduration"] > 30 * 60]
    assert namespace["tasks_fused"] == len(months)  # one fused task per file
    assert namespace["tasks_unfused"] > namespace["tasks_fused"]
    # What the cluster ran (task stream): compute() the unfused plan plus one concatenation,
    # persist() the fused one; an Array's compute() the optimised (fused) graph plus its finalize.
    assert namespace["tasks_computed"] == namespace["tasks_unfused"] + 1
    assert namespace["tasks_persisted"] == namespace["tasks_fused"]
    assert namespace["array_tasks_computed"] == len(namespace["optimized"].dask) + 1
    assert namespace["array_tasks_computed"] < len(namespace["column_sums"].dask)
    _assert_series(namespace["long_seconds"], long_rides.groupby("start station name")["tripduration"].sum())
    assert [t.name for t in namespace["reading"].timings] == [
        "all columns, dates parsed", "all columns, no dates", "usecols=, no dates"]
    import dask.array as da

    x = da.random.default_rng(42).random((2000, 2000), chunks=(1000, 1000)).compute()
    np.testing.assert_allclose(namespace["sums"], ((x + 1) * 2).sum(axis=0))
    # Exercise: the rewritten plan's read step produces the two columns it needs, the blind one all.
    want = (long_rides["tripduration"] / 60).groupby(long_rides["usertype"]).mean()
    _assert_series(namespace["answer"], want)
    assert read_columns(namespace["plan"]) == ["tripduration", "usertype"]
    assert len(read_columns(namespace["blind"])) == len(trips.columns)


CHECKS = {
    "plot_01_compute_and_persist": check_compute_and_persist,
    "plot_02_optimized_graphs": check_optimized_graphs,
}


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------

TRIP_DTYPES = {"birth year": "float64", "end station id": "float64"}


def _dask_long_rides(months):
    trips = dd.read_csv(months, dtype=TRIP_DTYPES).dropna()
    return trips[trips["tripduration"] > 30 * 60]


@functools.cache
def _on_a_cluster(months):
    """Two wrong ways to answer 5.1, run on a cluster of the lesson's kind: compute twice; persist first."""
    from dask.distributed import Client, LocalCluster, get_task_stream

    runs = {}
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                     dashboard_address="127.0.0.1:0") as cluster,
        Client(cluster),
    ):
        fresh = _dask_long_rides(list(months))
        with get_task_stream() as stream:
            counts = fresh["usertype"].value_counts().compute()
            longest = fresh["tripduration"].max().compute()
        runs["twice"] = {"answer": (counts, longest / 60), "tasks": stream.data, "rides": fresh}
        fresh = _dask_long_rides(list(months)).persist()
        with get_task_stream() as stream:
            counts, longest = dask.compute(fresh["usertype"].value_counts(), fresh["tripduration"].max())
        runs["persisted"] = {"answer": (counts, longest / 60), "tasks": stream.data, "rides": fresh}
    return runs


def _computed_twice(files):
    return _on_a_cluster(tuple(files[:2]))["twice"]


def _persisted(files):
    return _on_a_cluster(tuple(files[:2]))["persisted"]


def _all_trips_counted(files):
    trips = _trips(files[:2]).dropna()
    return {"answer": (trips["usertype"].value_counts(), trips["tripduration"].max() / 60)}


def _longest_in_seconds(files):
    rides = _long_rides(files[:2])
    return {"answer": (rides["usertype"].value_counts(), rides["tripduration"].max())}


def _blind_plan(files):
    """Right values, but the plan's read step still carries every column."""
    trips = dd.read_csv(files[:3], dtype=TRIP_DTYPES, parse_dates=["starttime", "stoptime"])
    long_rides = trips[trips["tripduration"] > 30 * 60]
    plan = long_rides.map_partitions(lambda df: df.assign(minutes=df["tripduration"] / 60))
    plan = plan.groupby("usertype")["minutes"].mean()
    return {"answer": plan.compute(scheduler="sync"), "plan": plan}


def _mean_seconds(files):
    trips = _trips(files[:3])
    long_rides = trips[trips["tripduration"] > 30 * 60]
    return {"answer": long_rides.groupby("usertype")["tripduration"].mean()}


def _all_rides_not_long(files):
    trips = _trips(files[:3])
    return {"answer": (trips["tripduration"] / 60).groupby(trips["usertype"]).mean()}


WRONG_ANSWERS = {
    "plot_01_compute_and_persist": [_computed_twice, _persisted, _all_trips_counted, _longest_in_seconds],
    "plot_02_optimized_graphs": [_blind_plan, _mean_seconds, _all_rides_not_long],
}
