"""Results checks for the lessons in examples/09_distributed: own clusters, same answers as pandas."""

import numpy as np
import pandas as pd
from dask.system import CPU_COUNT



def read_months(files, **kwargs):
    return pd.concat([pd.read_csv(path, **kwargs) for path in files], ignore_index=True)


def station_stats(files):
    return read_months(files).groupby("start station name")["tripduration"].agg(["count", "mean"])


def assert_same_frame(got, want):
    pd.testing.assert_frame_equal(
        got.sort_index(), want.sort_index(), check_exact=False, rtol=1e-9,
        check_dtype=False, check_index_type=False, check_column_type=False, check_names=False,
    )


def assert_same_series(got, want):
    pd.testing.assert_series_equal(
        got.sort_index(), want.sort_index(), check_exact=False, rtol=1e-9,
        check_dtype=False, check_index_type=False, check_names=False,
    )


def check_local_cluster(namespace, files):
    months = files[:3]
    assert [f.name for f in namespace["files"]] == [f.name for f in months]
    assert_same_frame(namespace["station_stats"], station_stats(months))
    trips = read_months(months, parse_dates=["starttime"])
    assert_same_series(namespace["trips_per_hour"], trips["starttime"].dt.hour.value_counts())
    want_counts = trips["start station name"].value_counts()
    top = namespace["top_stations"]
    assert len(top) == 5 and top.min() >= want_counts.nlargest(5).min()
    assert top.to_dict() == {name: want_counts[name] for name in top.index}
    assert_same_series(namespace["minutes_by_usertype"], trips.groupby("usertype")["tripduration"].mean() / 60)
    assert namespace["worker_pids"] and len(set(namespace["worker_pids"].values())) == 2


def check_processes_threads(namespace, files):
    shapes = namespace["shapes"]
    assert shapes[0] == (1, 1) and (1, CPU_COUNT) in shapes and (CPU_COUNT, 1) in shapes
    assert all(w * t == CPU_COUNT for w, t in shapes[1:])
    months = files[4 : 4 + CPU_COUNT]
    assert [f.name for f in namespace["files"]] == [f.name for f in months]
    assert_same_frame(namespace["result"], station_stats(months))
    grid = namespace["grid"]
    assert list(grid.index) == [f"{w} × {t}" for w, t in shapes]
    assert grid.loc["1 × 1", "vs 1 × 1"] == 1.0
    assert (grid["min (s)"] <= grid["median (s)"]).all() and (grid["median (s)"] <= grid["max (s)"]).all()
    assert set(namespace["hour_seconds"]) == {(1, CPU_COUNT), (CPU_COUNT, 1)}


def check_worker_memory(namespace, files):
    thresholds = namespace["thresholds"]
    assert list(thresholds["fraction"]) == [0.6, 0.7, 0.8, 0.95]
    persisted = namespace["after_persist"]["worker 0"]
    assert persisted["results in memory"] + persisted["results on disk"] == 120
    assert persisted["results on disk"] > 0, "the array should not fit under the target"
    assert persisted["status"] == "running"
    seeds = np.random.SeedSequence(2019).spawn(120)
    want = np.mean([np.random.Generator(np.random.PCG64(s)).random(1_000_000).mean() for s in seeds])
    np.testing.assert_allclose(namespace["mean"], want, rtol=1e-12)
    assert namespace["report"]["status"] == "paused"
    big = namespace["big_worker"]["worker 0"]
    assert big["results in memory"] == 120 and big["results on disk"] == 0


CHECKS = {
    "plot_01_local_cluster": check_local_cluster,
    "plot_02_processes_threads": check_processes_threads,
    "plot_03_worker_memory": check_worker_memory,
}
