"""Results checks for the lessons in examples/02_dataframe."""

import pandas as pd
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
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert timings["persist(), then compute() twice"].held_bytes > 0  # held on the cluster
    # The exercise (its solution is pasted with the page): stations with 1 % of the clean trips or more.
    assert (namespace["busy"]["count"] >= 0.01 * months.sum()).all()


def check_dask_vs_pandas(namespace, files):
    timings = namespace["pandas_vs_dask"]
    assert [t.name for t in timings.timings] == [
        "pandas, 1 file", "Dask, 1 file", "pandas loop, 12 files", "Dask, 12 files",
        'Dask, scheduler="threads", 12 files',
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert "cluster of 1 worker" in timings.measured_on  # the cluster in view, not the build's
    want = answers(files)["trips_per_station"]
    for counts in (namespace["loop_counts"], namespace["dask_threads_counts"]):
        assert counts.sort_index().tolist() == want.sort_index().tolist()
    assert [t.name for t in namespace["no_dates"].timings] == ["pandas loop, no dates", "Dask threads, no dates"]

    # What the page says of pandas' own threads (pandas 3.1): the option exists and defaults to
    # None; a local file of >= 5 MB is read in parallel unless parse_dates is given.
    assert pd.get_option("mode.max_threads") is None
    assert readers._PARALLEL_READ_MIN_BYTES == 5 * 1024 * 1024
    for path in files:
        assert not readers._can_parallelize_csv(str(path), {"parse_dates": ["starttime", "stoptime"]})
        big = path.stat().st_size >= readers._PARALLEL_READ_MIN_BYTES
        assert readers._can_parallelize_csv(str(path), {}) == big
    assert [t.name for t in namespace["pandas_threads"].timings] == ["default threads", "mode.max_threads=1"]


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


def _counts_with_dates(files):
    counts = _dask_counts(files, parse_dates=["starttime", "stoptime"])  # the lesson's, unchanged
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_of_unclean_trips(files):
    counts = _dask_counts(files, clean=False)
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_of_eleven_months(files):
    counts = _dask_counts(files[1:])  # January left out
    return {"answer": counts.compute(scheduler="threads"), "counts": counts}


def _counts_without_the_dask_series(files):
    return {"answer": _dask_counts(files).compute(scheduler="threads")}


WRONG_ANSWERS = {
    "plot_01_same_with_dask": [_top_share_without_threshold, _most_customer_trips, _shares_not_the_name],
    "plot_02_dask_vs_pandas": [_counts_with_dates, _counts_of_unclean_trips, _counts_of_eleven_months,
                               _counts_without_the_dask_series],
}
