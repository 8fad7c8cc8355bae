"""Results checks for the lessons in examples/12_best_practices: every answer matches pandas."""

import contextlib
import logging
from collections import Counter

import dask
import numpy as np
import pandas as pd
from dask.utils import key_split

DTYPES = {"birth year": "float64", "end station id": "float64"}


def _read(paths):
    return pd.concat([pd.read_csv(path, dtype=DTYPES) for path in paths], ignore_index=True)


def _distance_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * np.arcsin(np.sqrt(a))


def _same(got, want):
    pd.testing.assert_series_equal(
        got.sort_index(), want.sort_index(), check_names=False, check_exact=False, rtol=1e-9,
        check_dtype=False, check_index_type=False,  # Dask returns Arrow-backed dtypes
    )


def check_best_practices(namespace, files):
    two_months = _read(files[:2])
    _same(namespace["mean_by_usertype"], two_months.groupby("usertype")["tripduration"].mean())

    # Large graphs: the per-row graph and map_partitions give the plain NumPy distances.
    coordinates = namespace["coordinates"]
    january = pd.read_csv(files[0])
    distances = _distance_km(*(january[column] for column in coordinates))
    sample = january[coordinates].head(100).dropna()
    assert namespace["n_rows"] == len(sample)
    want_sample = _distance_km(*(sample[column] for column in coordinates)).sum()
    assert np.isclose(namespace["per_row_km"], want_sample, rtol=1e-9)
    assert np.isclose(namespace["vectorised_km"], want_sample, rtol=1e-9)
    assert np.isclose(namespace["total_km"], distances.sum(), rtol=1e-9)
    assert namespace["n_january"] == len(january)

    # Persist: the needed columns are a fraction of all; the two questions match pandas.
    assert 0 < namespace["needed_bytes"] < namespace["all_bytes"]
    kept = two_months[two_months["tripduration"] > 0]
    kept_start = pd.to_datetime(kept["starttime"])
    want_minutes = kept.loc[kept["usertype"] == "Customer", "tripduration"].mean() / 60
    assert np.isclose(namespace["customer_minutes"], want_minutes, rtol=1e-9)
    _same(namespace["trips_per_hour"], kept.groupby(kept_start.dt.hour)["tripduration"].count())

    # The pandas route put the table into the graph, and the client warned; dd.read_csv did not.
    import dask
    from dask.utils import parse_bytes
    threshold = parse_bytes(dask.config.get("distributed.admin.large-graph-warning-threshold"))
    assert all(m.startswith("Sending large graph of size") for m in namespace["load_warnings"])
    if namespace["frame_bytes"] > 2 * threshold:
        assert namespace["load_warnings"], "the pandas route's graph holds the table"
    if namespace["frame_bytes"] < threshold / 2:
        assert not namespace["load_warnings"]
    # persist() held the needed frame on the cluster; del let the cluster free it.
    assert namespace["held_persisted"] > 0 and namespace["held_after_del"] == 0
    # Default blocks: one partition per monthly file, each smaller than the default block size.
    from dask.dataframe.io.csv import AUTO_BLOCKSIZE
    assert AUTO_BLOCKSIZE <= 64e6
    assert namespace["largest_file"] < AUTO_BLOCKSIZE
    assert namespace["year"].npartitions == len(files) <= namespace["tiny"].npartitions
    if namespace["largest_file"] > 2e6:  # 1 MB blocks then cut at least that file in more pieces
        assert namespace["tiny"].npartitions > len(files)
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"

    # Reduce before compute.
    by_station = january.groupby("start station name")["tripduration"].mean()
    _same(namespace["mean_by_station"], by_station)

    # Timings.
    for name in ("load_timings", "graph_timings", "reduce_timings"):
        assert all(len(t.seconds) == 3 for t in namespace[name].timings), name

    # The exercise solution.
    want = two_months.groupby("usertype")["tripduration"].mean()
    means = namespace["means"]
    assert set(means) == {"Subscriber", "Customer"}
    for usertype, mean in means.items():
        assert np.isclose(mean, want[usertype], rtol=1e-9)
    names = [t.name for t in namespace["exercise_timings"].timings]
    assert names == ["compute() per type", "one dask.compute()"]


def check_diagnosing_performance(namespace, files):
    two_months = _read(files[:2])
    # The progress-bar computation, and the bar's last frame.
    _same(namespace["duration"], two_months.groupby("start station name")["tripduration"].mean())
    assert "100% Completed" in namespace["bar"].getvalue()

    # The profiled pipelines: both find pandas' busiest route.
    three_months = _read(files[:3])
    routes = three_months.value_counts(["start station name", "end station name"])
    busiest = (routes.index[0], int(routes.iloc[0]))
    assert namespace["slow_route"] == namespace["fast_route"] == busiest

    # With the lesson's client open, the default shuffle is P2P; the report's run on the cluster.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["shuffle_tasks"] == []  # the groupby mean needs no shuffle
    if namespace["winter"].npartitions > 1:  # value_counts shuffles, with P2P
        assert "p2pshuffle" in namespace["counts_shuffle"]
    assert namespace["cluster_route"] == busiest
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"

    # The overhead table.
    seconds = namespace["seconds_per_task"]
    assert set(seconds) == {"synchronous", "threads", "processes", "distributed"}
    assert all(0 < s < 0.1 for s in seconds.values())
    assert list(namespace["overhead"].index) == list(seconds)

    # The exercise: the profile of the fixed pipeline, one load and one count per month.
    tasks = namespace["tasks_per_name"]
    assert tasks["load"] == tasks["count_routes"] == 3 and tasks["busiest_route"] == 1
    results = namespace["exercise_profile"].results
    assert namespace["longest_seconds"] == max(t.end_time - t.start_time for t in results) > 0


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------

USERTYPES = ["Subscriber", "Customer"]


@contextlib.contextmanager
def _cluster():
    """An in-process cluster like the lessons', quiet, for the wrong answers that need a client."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        yield client


def _pandas_means(paths):
    trips = _read(paths)
    return trips.groupby("usertype")["tripduration"].mean().to_dict()


def _compute_per_type(files):
    """The colleague's loop, one compute() per user type, recorded in a task stream: files read twice."""
    import dask.dataframe as dd
    from distributed import get_task_stream

    with _cluster():
        trips = dd.read_csv(files[:2], dtype=DTYPES)
        with get_task_stream() as stream:
            means = {u: float(trips[trips["usertype"] == u]["tripduration"].mean().compute()) for u in USERTYPES}
    return {"answer": means, "stream": stream}


def _stream_of_nothing(files):
    """The means computed before the get_task_stream block: the stream is empty."""
    from distributed import get_task_stream

    with _cluster():
        with get_task_stream() as stream:
            pass
    return {"answer": _pandas_means(files[:2]), "stream": stream}


def _means_in_minutes(files):
    """The means divided by 60."""
    return {"answer": {u: m / 60 for u, m in _pandas_means(files[:2]).items()}, "stream": None}


def _means_of_every_month(files):
    """All twelve files instead of ``few``."""
    return {"answer": _pandas_means(files), "stream": None}


def _lazy_means(files):
    """The means left lazy in the dict."""
    import dask.dataframe as dd

    trips = dd.read_csv(files[:2], dtype=DTYPES)
    return {"answer": {u: trips[trips["usertype"] == u]["tripduration"].mean() for u in USERTYPES}, "stream": None}


ROUTE = ["start station name", "end station name"]


@dask.delayed
def load(path):
    return pd.read_csv(path, usecols=ROUTE)


@dask.delayed
def count_routes(month):
    return month.value_counts(ROUTE)


@dask.delayed
def busiest_route(counts):
    total = pd.concat(counts).groupby(level=[0, 1]).sum()
    return total.idxmax(), int(total.max())


@dask.delayed
def count_in_a_loop(months):
    counts = Counter()
    for month in months:
        counts.update(zip(month["start station name"], month["end station name"]))
    return counts.most_common(1)[0]


def _profiled(pipeline):
    from dask.diagnostics import Profiler

    with Profiler() as profile:
        pipeline.compute(scheduler="threads")
    return profile


def _tasks_and_longest(profile, name=key_split):
    longest = max(profile.results, key=lambda task: task.end_time - task.start_time)
    return (dict(Counter(name(task.key) for task in profile.results)),
            (key_split(longest.key), longest.end_time - longest.start_time))


def _fast(files):
    return busiest_route([count_routes(load(path)) for path in files[:3]])


def _profiled_the_slow_pipeline(files):
    """The slow pipeline profiled instead of ``fast``."""
    profile = _profiled(count_in_a_loop([load(path) for path in files[:3]]))
    tasks, longest = _tasks_and_longest(profile)
    return {"answer": tasks, "longest": longest, "profile": profile}


def _profiled_on_the_cluster(files):
    """``fast`` computed on the client's cluster inside the Profiler: it records nothing."""
    from dask.diagnostics import Profiler

    with _cluster():
        with Profiler() as profile:
            _fast(files).compute()
    counts = Counter(key_split(key) for key in _fast(files).__dask_graph__())
    return {"answer": dict(counts), "longest": None, "profile": profile}


def _counted_by_whole_key(files):
    """Tasks counted by their whole key: every key is unique."""
    profile = _profiled(_fast(files))
    tasks, longest = _tasks_and_longest(profile, name=str)
    return {"answer": tasks, "longest": longest, "profile": profile}


def _the_shortest_task(files):
    """min instead of max: the shortest task given as the longest."""
    profile = _profiled(_fast(files))
    tasks, _ = _tasks_and_longest(profile)
    shortest = min(profile.results, key=lambda task: task.end_time - task.start_time)
    longest = max(profile.results, key=lambda task: task.end_time - task.start_time)
    if key_split(shortest.key) == key_split(longest.key):  # same name: give its time wrong instead
        return {"answer": tasks, "longest": (key_split(longest.key), shortest.end_time - shortest.start_time),
                "profile": profile}
    return {"answer": tasks, "longest": (key_split(shortest.key), shortest.end_time - shortest.start_time),
            "profile": profile}


def _longest_in_milliseconds(files):
    """The longest task's time in milliseconds."""
    profile = _profiled(_fast(files))
    tasks, (name, seconds) = _tasks_and_longest(profile)
    return {"answer": tasks, "longest": (name, seconds * 1000), "profile": profile}


WRONG_ANSWERS = {
    "plot_01_best_practices": [_compute_per_type, _stream_of_nothing, _means_in_minutes, _means_of_every_month,
                               _lazy_means],
    "plot_02_diagnosing_performance": [_profiled_the_slow_pipeline, _profiled_on_the_cluster, _counted_by_whole_key,
                                       _the_shortest_task, _longest_in_milliseconds],
}


CHECKS = {
    "plot_01_best_practices": check_best_practices,
    "plot_02_diagnosing_performance": check_diagnosing_performance,
}
