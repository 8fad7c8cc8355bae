"""Results checks for the lessons in examples/05_task_graphs."""

import numpy as np
import pandas as pd


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
    # Exercise
    _assert_series(namespace["long_per_usertype"], rides["usertype"].value_counts())
    assert namespace["longest"] == rides["tripduration"].max()


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
    # Exercise
    want = (long_rides["tripduration"] / 60).groupby(long_rides["usertype"]).mean()
    _assert_series(namespace["minutes_per_usertype"], want)


CHECKS = {
    "plot_01_compute_and_persist": check_compute_and_persist,
    "plot_02_optimized_graphs": check_optimized_graphs,
}
