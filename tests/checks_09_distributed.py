"""Results checks for the lessons in examples/09_distributed: own clusters, same answers as pandas."""

import numpy as np
import pandas as pd
from tutorial_helpers.cores import granted_cores



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


def station_minutes(files):
    trips = read_months(files, parse_dates=["starttime", "stoptime"])
    minutes = (trips["stoptime"] - trips["starttime"]).dt.total_seconds() / 60
    return minutes.groupby(trips["start station name"]).agg(["count", "mean"])


def check_processes_threads(namespace, files):
    # The GIL measurement: both step sizes, every step, CPU time recorded for every run.
    timings = namespace["gil_timings"]
    steps = ["read_csv", "read_csv(parse_dates=…)", "pd.to_datetime"]
    assert [t.name for t in timings.timings] == [
        f"{step}, {n} thread{'s' if n > 1 else ''}" for step in steps for n in (1, 2)
    ]
    assert all(len(runs) == timings.warmup + timings.repeat for runs in namespace["cpu_seconds"].values())
    assert set(namespace["cores_busy"]) == {t.name for t in timings.timings}
    assert all(0 < busy for busy in namespace["cores_busy"].values())

    # The cluster shapes: every split of at most 8 granted cores, the same answer as pandas.
    cores = namespace["cores"]
    assert cores == min(granted_cores(), 8)
    shapes = namespace["shapes"]
    assert (1, cores) in shapes and (cores, 1) in shapes
    assert all(w * t == cores for w, t in shapes)
    assert [f.name for f in namespace["months"]] == [f.name for f in files[4:12]]
    assert_same_frame(namespace["result"], station_minutes(files[4:12]))
    assert [t.name for t in namespace["shape_timings"].timings] == [f"{w} × {t}" for w, t in shapes]
    assert all(len(t.seconds) == 3 for t in namespace["shape_timings"].timings)
    # Exercise
    assert [t.name for t in namespace["plain_timings"].timings] == [f"1 × {cores}", f"{cores} × 1"]


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
