"""Results checks for the lessons in examples/02_dataframe."""

import inspect
import io
import os
import tempfile

import dask
import dask.threaded
import pandas as pd
from dask.dataframe.io import csv as dask_csv
from dask.dataframe.io.parquet.arrow import ArrowDatasetEngine
from distributed import nanny
from pandas.compat._cpu import available_cpu_count
from pandas.io.parsers import readers

from reference import answers, assert_same_answers, clean_trips


def check_same_with_dask(namespace, files):
    assert_same_answers(namespace, files)
    assert namespace["trips"].npartitions == len(files)  # one partition per monthly file
    months = pd.concat([clean_trips(path) for path in files])["starttime"].dt.month.value_counts()
    assert namespace["trips_per_month"].sort_index().tolist() == months.sort_index().tolist()
    assert namespace["trips_per_month"].index.nunique() == 12

    # The mechanics the page states: P2P shuffles with a client; optimize() fuses each partition's
    # steps into one task (3 partitions + 1 tree task), persist() runs that fused graph, and a
    # DataFrame's compute() runs the steps unfused, as more tasks.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["tasks_in_optimized"] == 3 + 1
    assert namespace["tasks_run_by_persist"] == namespace["tasks_in_optimized"]
    assert namespace["tasks_run_by_compute"] > namespace["tasks_in_optimized"]
    assert {"read-csv", "gt", "dropna", "valuecounts-tree"} <= set(namespace["steps_run_by_compute"])

    timings = namespace["persist_timings"]
    assert [t.name for t in timings.timings] == ["compute() twice", "persist(), then compute() twice"]
    assert all(len(t.seconds) == 3 for t in timings.timings) and timings.warmup == 0  # as the page says
    assert timings["persist(), then compute() twice"].held_bytes > 0  # held on the cluster
    # The exercise (its solution is pasted with the page): stations with 1 % of the clean trips or more.
    assert (namespace["busy"]["count"] >= 0.01 * months.sum()).all()


def check_dask_vs_pandas(namespace, files):
    timings = namespace["pandas_vs_dask"]
    assert [t.name for t in timings.timings] == [
        "pandas, default threads, 1 file", "pandas, mode.max_threads=1, 1 file", "Dask, 1 file",
        "pandas loop, default threads, 12 files", "pandas loop, mode.max_threads=1, 12 files",
        "Dask, 12 files", 'Dask, scheduler="threads", 12 files',
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings) and timings.warmup == 0  # as the page says
    assert "cluster of 1 worker" in timings.measured_on  # the cluster in view, not the build's
    want = answers(files)["trips_per_station"]
    for counts in (namespace["loop_counts"], namespace["dask_threads_counts"]):
        assert counts.sort_index().tolist() == want.sort_index().tolist()
    counts, loop = namespace["dask_threads_counts"], namespace["loop_counts"]
    assert (str(counts.dtype), str(counts.index.dtype)) == ("int64[pyarrow]", "string")  # the dtypes printed
    assert (str(loop.dtype), str(loop.index.dtype)) == ("int64", "str")
    assert namespace["worker_classes"] == ["Worker"]  # the in-process cluster has no nanny
    assert "CPU_COUNT" in inspect.getsource(dask.threaded.get)  # Dask's local threads: dask.system.CPU_COUNT
    with_dates = namespace["with_dates"]  # the exercise's solution, pasted with the page
    assert [t.name for t in with_dates.timings] == ["pandas loop, with dates", "Dask threads, with dates"]
    assert all(len(t.seconds) == 3 for t in with_dates.timings) and with_dates.warmup == 0
    # The loop's option really reaches read_csv: one thread with threads=1, pandas' default otherwise.
    assert pd.get_option("mode.max_threads") is None  # the page prints pandas' default
    with pd.option_context("mode.max_threads", 1):
        assert readers._default_n_workers() == 1
    assert readers._default_n_workers() == min(os.cpu_count(), 6, available_cpu_count() or os.cpu_count())

    # What the page says of pandas' own threads (pandas 3.1): a local file path of >= 5 MiB is read
    # in parallel, unless parse_dates, usecols or nrows is given, or pandas gets a file object.
    assert readers._PARALLEL_READ_MIN_BYTES == 5 * 2**20 and readers._MAX_DEFAULT_WORKERS == 6
    for path in files:
        big = path.stat().st_size >= readers._PARALLEL_READ_MIN_BYTES
        assert readers._can_parallelize_csv(str(path), {}) == big
        assert readers._can_parallelize_csv(str(path), {"dtype": _TRIP_DTYPES}) == big  # the lesson's reads
        for option in ({"parse_dates": ["starttime", "stoptime"]}, {"usecols": ["tripduration"]}, {"nrows": 10}):
            assert not readers._can_parallelize_csv(str(path), option)
        with open(path, "rb") as file:
            assert not readers._can_parallelize_csv(io.BytesIO(file.read()), {})

    # Dask's read_csv is read_pandas with pd.read_csv, and hands the reader a BytesIO per block, not a path.
    assert inspect.getclosurevars(dask_csv.read_csv.__wrapped__).nonlocals["reader"] is pd.read_csv
    given = []

    def spy(source, **options):
        given.append(source)
        return pd.read_csv(source, **options)

    spy.__name__ = "read_csv"
    dask_csv.read_pandas(spy, [str(path) for path in files[:2]], dtype=_TRIP_DTYPES).compute(scheduler="sync")
    assert len(given) >= 3 and all(isinstance(source, io.BytesIO) for source in given)  # the sample + 2 blocks

    # One monthly file is one partition (the page's "nothing to run in parallel").
    assert dask_csv.read_csv(str(files[0]), dtype=_TRIP_DTYPES).npartitions == 1

    # Dask's read_parquet (default filesystem="fsspec") reads through the engine that turns Arrow's threads off.
    import dask.dataframe as dd

    with tempfile.TemporaryDirectory() as folder:  # the lesson's Parquet copy is gone by now
        pd.DataFrame({"x": [1, 2]}).to_parquet(os.path.join(folder, "x.parquet"))
        assert type(dd.read_parquet(os.path.join(folder, "x.parquet")).expr).__name__ == "ReadParquetFSSpec"
    assert "use_threads=False" in inspect.getsource(ArrowDatasetEngine._read_table)

    # Threads inside threads: which thread did the CPU work, where enough of it was done to tell.
    cpu = namespace["cpu_use"]
    assert list(cpu.index) == list(namespace["work"])
    own, other = cpu["CPU, task's thread (s)"], cpu["CPU, other threads (s)"]
    share = other / (own + other)
    assert ((share - namespace["other_share"]).abs() < 1e-9).all()  # the sentences' shares

    def enough(name, seconds=0.05):
        return own[name] + other[name] >= seconds

    largest = namespace["largest"]
    if largest.stat().st_size >= readers._PARALLEL_READ_MIN_BYTES and readers._default_n_workers() > 1:
        if enough("pandas read_csv(path), default threads"):
            assert share["pandas read_csv(path), default threads"] > 0.5  # pandas' pool did the parsing
    for name in ["pandas read_csv(path), mode.max_threads=1", "Dask read_csv (its tasks, in this thread)",
                 "Dask read_parquet (its tasks, in this thread)"]:
        if enough(name):
            assert share[name] < 0.5, name  # on the task's own thread
    if enough("pandas read_parquet (Arrow)"):
        # Mostly on Arrow's pool; 0.56-0.97 measured on a busy 2-core machine, so a margin below half.
        assert share["pandas read_parquet (Arrow)"] > 0.4

    # A nanny puts pre-spawn-environ into its worker process's environment: one BLAS thread there.
    blas = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
    assert blas.items() <= dask.config.get("distributed.nanny.pre-spawn-environ").items()
    assert nanny._get_env_variables("distributed.nanny.pre-spawn-environ").keys() >= blas.keys()
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as processes, Client(processes, set_as_default=False) as client:
        assert [type(w).__name__ for w in processes.workers.values()] == ["Nanny"]
        for variable in blas:
            assert list(client.run(os.getenv, variable).values()) == ["1"], variable
        with client.as_current():  # value_counts: P2P with a client by default, a tree with split_out=1
            stations = dd.read_csv([str(p) for p in files], dtype=_TRIP_DTYPES)["start station name"]
            default = {type(s).__name__ for s in stations.value_counts().optimize().expr.walk()}
            tree = {type(s).__name__ for s in stations.value_counts(split_out=1).optimize().expr.walk()}
            assert "P2PShuffle" in default and "P2PShuffle" not in tree and "TreeReduce" in tree
        # Arrow sizes its pool by OMP_NUM_THREADS there; pandas' read_csv threads do not follow it.
        assert list(client.run(lambda: __import__("pyarrow").cpu_count()).values()) == [1]
        pandas_threads = client.run(lambda: __import__("pandas").io.parsers.readers._default_n_workers())
        assert list(pandas_threads.values()) == [readers._default_n_workers()]
        in_process = client.submit(namespace["cpu_split"], namespace["matrix_product"], pure=False).result()
    worker_other = in_process["CPU, other threads (s)"]
    worker_total = in_process["CPU, task's thread (s)"] + worker_other
    if worker_total >= 0.1:
        assert worker_other / worker_total < 0.3, in_process  # BLAS on the task's thread only


CHECKS = {"plot_01_same_with_dask": check_same_with_dask, "plot_02_dask_vs_pandas": check_dask_vs_pandas}


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------

_TRIP_DTYPES = {"birth year": "float64", "end station id": "float64"}


def _customer_shares(files, *, clean=True):
    """Customer trips and all trips per start station, in pandas: the stations' table a learner builds."""
    trips = pd.concat([pd.read_csv(path, usecols=["start station name", "usertype", "tripduration",
                                                  "end station id"]) for path in files])
    if clean:
        trips = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return (trips["usertype"] == "Customer").groupby(trips["start station name"]).agg(["sum", "count"])


def _top_share_without_threshold(files):
    by_station = _customer_shares(files)  # every station, even those with a handful of trips
    return {"answer": (by_station["sum"] / by_station["count"]).idxmax()}


def _most_customer_trips(files):
    by_station = _customer_shares(files)
    busy = by_station[by_station["count"] >= 0.01 * by_station["count"].sum()]
    return {"answer": busy["sum"].idxmax()}  # the most customer trips, not the highest share


def _shares_not_the_name(files):
    by_station = _customer_shares(files)
    busy = by_station[by_station["count"] >= 0.01 * by_station["count"].sum()]
    return {"answer": busy["sum"] / busy["count"]}  # the table, not the station


def _dask_counts(files, *, clean=True, **read_options):
    import dask.dataframe as dd

    trips = dd.read_csv(files, dtype=_TRIP_DTYPES, **read_options)
    if clean:
        trips = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return trips["start station name"].value_counts(split_out=1)


_DATES = ["starttime", "stoptime"]


def _counts_without_dates(files):
    counts = _dask_counts(files)  # the lesson's, unchanged
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_of_unclean_trips(files):
    counts = _dask_counts(files, clean=False, parse_dates=_DATES)
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_of_eleven_months(files):
    counts = _dask_counts(files[1:], parse_dates=_DATES)  # January left out
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_without_the_dask_series(files):
    return {"answer": _dask_counts(files, parse_dates=_DATES).compute(scheduler="threads")}


WRONG_ANSWERS = {
    "plot_01_same_with_dask": [_top_share_without_threshold, _most_customer_trips, _shares_not_the_name],
    "plot_02_dask_vs_pandas": [_counts_without_dates, _counts_of_unclean_trips, _counts_of_eleven_months,
                               _counts_without_the_dask_series],
}
