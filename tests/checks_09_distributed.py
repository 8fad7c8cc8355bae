"""Results checks for the lessons in examples/09_distributed: own clusters, same answers as pandas."""

import functools
import logging
import tempfile
from pathlib import Path

import dask
import numpy as np
import pandas as pd
from dask.utils import parse_bytes
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
    assert namespace["answer"] is namespace["minutes_by_usertype"]
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
    want = station_minutes(files[4:12])
    assert_same_frame(namespace["result"], want)
    assert [t.name for t in namespace["shape_timings"].timings] == [f"{w} × {t}" for w, t in shapes]
    assert all(len(t.seconds) == 3 for t in namespace["shape_timings"].timings)
    # Exercise (its solution run after the lesson): the lesson's runs of the cores × 1 shape next to
    # three runs of the parse_dates workload on one cluster of that shape, on worker processes that
    # share the job's 4 GiB evenly; the answer pandas', the faster row read from the learner's table.
    parsed = namespace["parsed_timings"]
    assert [t.name for t in parsed.timings] == ["to_datetime", "parse_dates"]
    assert all(len(t.seconds) == 3 for t in parsed.timings)
    assert parsed["to_datetime"].seconds == tuple(namespace["seconds_by_shape"][(cores, 1)])
    workers = list(namespace["parsed_cluster"]["workers"].values())
    assert len(workers) == cores and {w["nthreads"] for w in workers} == {1}
    assert all(w["nanny"] for w in workers)
    assert {w["memory_limit"] for w in workers} == {parse_bytes("4GiB") // cores}
    assert_same_frame(namespace["answer"], want)
    assert namespace["faster"] == min(parsed.timings, key=lambda t: t.median).name


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
    assert persisted["memory limit (MiB)"] == 1024
    big = namespace["big_worker"]["worker 0"]
    assert big["results in memory"] == 120 and big["results on disk"] == 0
    assert big["memory limit (MiB)"] == 2048 and namespace["answer"] == 120


CHECKS = {
    "plot_01_local_cluster": check_local_cluster,
    "plot_02_processes_threads": check_processes_threads,
    "plot_03_worker_memory": check_worker_memory,
}


# -- typical wrong answers to the exercises of 9.1, 9.2 and 9.3 (tests/test_exercises.py) ---------

@functools.cache
def _reports_folder() -> tempfile.TemporaryDirectory:
    """Made on first use (not at import: every test session imports this module), removed at exit."""
    return tempfile.TemporaryDirectory(prefix="wrong-reports-")


def _usertype_minutes(files):
    trips = read_months(files, usecols=["usertype", "tripduration"])
    return trips.groupby("usertype")["tripduration"].mean() / 60


def _usertype_in_seconds(files):
    """The means left in seconds."""
    return {"answer": _usertype_minutes(files[:3]) * 60, "report": None}


def _usertype_over_every_month(files):
    """All the months instead of the lesson's three."""
    return {"answer": _usertype_minutes(files), "report": None}


def _report_of(files, name, inside, **cluster_size):
    """A real performance report of an in-process cluster of the given size; the means computed inside
    the report's block or after it."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster, performance_report

    path = Path(_reports_folder().name) / name
    with LocalCluster(**cluster_size, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster):
        trips = dd.read_csv(files[:3], usecols=["usertype", "tripduration"])
        means = trips.groupby("usertype")["tripduration"].mean() / 60
        with performance_report(filename=str(path), mode="inline"):
            if inside:
                means = means.compute()
        if not inside:
            means = means.compute()
    return {"answer": means, "report": str(path)}


def _report_on_the_lessons_cluster(files):
    """Right means, recorded on a cluster shaped like the lesson's (two workers, one thread, 1 GiB each)."""
    return _report_of(files, "lessons-cluster.html", True, n_workers=2, threads_per_worker=1, memory_limit="1GiB")


def _computed_after_the_report(files):
    """The right cluster, but the means computed after the report's block: it recorded nothing."""
    return _report_of(files, "empty.html", False, n_workers=1, threads_per_worker=2, memory_limit="2GiB")


def _worker_table(limit, in_memory, on_disk, chunk_bytes):
    """A table shaped like the lesson's ``worker_memory`` for one worker holding chunks of the array."""
    MiB = 2**20
    return pd.DataFrame({"worker 0": {
        "status": "running",
        "memory limit (MiB)": round(parse_bytes(limit) / MiB),
        "results in memory": in_memory,
        "in memory (MiB)": round(in_memory * chunk_bytes / MiB),
        "results on disk": on_disk,
        "on disk (MiB)": round(on_disk * chunk_bytes / MiB),
    }})


def _lessons_array():
    import dask.array as da

    x = da.random.default_rng(2019).random((120, 1_000_000), chunks=(1, 1_000_000))
    return x.npartitions, x.blocks[0].nbytes


def _counted_on_the_1gib_worker(files):
    """The count read from the lesson's 1 GiB worker, which spilled to stay under its target."""
    chunks, chunk_bytes = _lessons_array()
    fits = int(dask.config.get("distributed.worker.memory.target") * parse_bytes("1GiB") // chunk_bytes)
    table = _worker_table("1GiB", fits, chunks - fits, chunk_bytes)
    return {"answer": fits, "memory": table}


def _counted_on_disk(files):
    """The chunks on disk instead of those in memory."""
    chunks, chunk_bytes = _lessons_array()
    return {"answer": 0, "memory": _worker_table("2GiB", chunks, 0, chunk_bytes)}


def _read_before_wait(files):
    """The table taken before wait(): the worker holds only part of the array yet."""
    chunks, chunk_bytes = _lessons_array()
    return {"answer": chunks // 2, "memory": _worker_table("2GiB", chunks // 2, 0, chunk_bytes)}


def _the_whole_table(files):
    """The worker's table itself as the answer, not the count."""
    chunks, chunk_bytes = _lessons_array()
    table = _worker_table("2GiB", chunks, 0, chunk_bytes)
    return {"answer": table, "memory": table}


def _station_minutes_on_cluster(files, parse):
    import dask.dataframe as dd

    dates = ["starttime", "stoptime"]
    trips = dd.read_csv(files, usecols=[*dates, "start station name"], parse_dates=dates if parse else None)
    start, stop = (trips[column] if parse else dd.to_datetime(trips[column]) for column in dates)
    minutes = (stop - start).dt.total_seconds() / 60
    return minutes.groupby(trips["start station name"]).agg(["count", "mean"]).compute()


def _cluster(n_workers, threads, **options):
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=threads, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL, **options)


@functools.cache
def _measured_parsing(files):
    """The exercise done right on the small data: both ways of parsing the dates timed on one cluster
    of cores worker processes sharing 4 GiB (the lesson's to_datetime row is timed here too)."""
    import time

    from distributed import Client
    from tutorial_helpers.timing import Timing, Timings

    cores = min(granted_cores(), 8)
    rows, answer = [], None
    with _cluster(cores, 1, memory_limit=parse_bytes("4GiB") // cores) as cluster, Client(cluster) as client:
        client.wait_for_workers(cores)
        _station_minutes_on_cluster(files[:1], parse=True)
        for name in ["to_datetime", "parse_dates"]:
            seconds = []
            for _ in range(3):
                start = time.perf_counter()
                answer = _station_minutes_on_cluster(files[4:12], parse=name == "parse_dates")
                seconds.append(time.perf_counter() - start)
            rows.append(Timing(name, tuple(seconds), None))
        info = client.scheduler_info()
    timings = Timings(rows, repeat=3, warmup=1, measured_on="a test")
    faster = min(rows, key=lambda row: row.median).name
    return {"answer": answer, "timings": timings, "cluster": info, "faster": faster}


def _right_but(files, **changed):
    return {**_measured_parsing(tuple(files)), **changed}


def _over_every_month(files):
    """Every month read, not the lesson's ``months`` (May to December)."""
    return _right_but(files, answer=station_minutes(files))


def _the_whole_tuple(files):
    """What time_cluster returned, (seconds, result, info), as the answer instead of its result."""
    right = _right_but(files)
    return {**right, "answer": (right["timings"]["parse_dates"].seconds, right["answer"], right["cluster"])}


def _cluster_info_of(files, n_workers, threads, **options):
    """The right measurement, but the description of a cluster started with this shape and ``options``."""
    from distributed import Client

    with _cluster(n_workers, threads, **options) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        info = client.scheduler_info()
    return _right_but(files, cluster=info)


def _job_memory_on_every_worker(files):
    """memory_limit="4GiB" on each of the workers: LocalCluster's memory_limit is per worker."""
    cores = min(granted_cores(), 8)
    return _cluster_info_of(files, cores, 1, memory_limit="4GiB")


def _workers_as_threads(files):
    """The workers copied from the course's usual cell, processes=False: threads, not processes."""
    cores = min(granted_cores(), 8)
    return _cluster_info_of(files, cores, 1, memory_limit=parse_bytes("4GiB") // cores, processes=False,
                            protocol="tcp")


def _the_expected_winner(files):
    """The row one expects to win named as faster, though the learner's own table gives it the higher median."""
    right = _right_but(files)
    slower = max(right["timings"].timings, key=lambda row: row.median).name
    return {**right, "faster": slower}


WRONG_ANSWERS = {
    "plot_02_processes_threads": [
        _over_every_month, _the_whole_tuple, _job_memory_on_every_worker, _workers_as_threads, _the_expected_winner,
    ],
    "plot_01_local_cluster": [
        _usertype_in_seconds, _usertype_over_every_month, _report_on_the_lessons_cluster, _computed_after_the_report,
    ],
    "plot_03_worker_memory": [_counted_on_the_1gib_worker, _counted_on_disk, _read_before_wait, _the_whole_table],
}
