"""Results checks for the lessons in examples/19_bigger_than_memory: the same answers as pandas."""

import tempfile

import dask.dataframe as dd
import pandas as pd

from tutorial_helpers.timing import compare


def check_bigger_than_memory(namespace, files):
    big_files = namespace["big_files"]
    assert len(big_files) == 12 and namespace["scale"] > 0
    trips = pd.concat([pd.read_csv(path) for path in big_files], ignore_index=True)
    # The larger year is twelve times the data the lesson found.
    assert len(trips) == sum(len(pd.read_csv(path, usecols=[0])) for path in files) * 12
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    by_station = clean.groupby("start station name")["tripduration"]

    stats = namespace["station_stats"].sort_index()
    pd.testing.assert_series_equal(stats["count"], by_station.count().sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False)
    pd.testing.assert_series_equal(stats["mean"], by_station.mean().sort_index(), check_names=False,
                                   check_dtype=False, check_index_type=False, rtol=1e-9)
    want_median = by_station.median().sort_index()
    for got in (namespace["station_median"], namespace["pandas_median"]):
        pd.testing.assert_series_equal(got.sort_index(), want_median, check_names=False,
                                       check_dtype=False, check_index_type=False)

    # The size in memory is about what pandas reports (its dates are text here, so larger).
    pandas_bytes = trips.memory_usage(deep=True).sum()
    assert 0.5 * pandas_bytes < namespace["in_memory"] < pandas_bytes
    assert namespace["ratio"] == namespace["in_memory"] / namespace["cluster_limit"]

    starts = pd.to_datetime(clean["starttime"]).dt.hour.value_counts().sort_index()
    assert namespace["per_hour"].tolist() == starts.tolist()
    assert namespace["restarted"] == set()
    reports = namespace["spilled"].values()
    assert sum(report["partitions"] for report in reports) > 0

    longest = (clean.groupby("end station name")["tripduration"].median()).nlargest(5)
    assert namespace["longest"].tolist() == longest.tolist()


def check_scaling_study(namespace, files):
    small_files = namespace["small_files"]
    assert len(small_files) == 12
    rows = sum(len(pd.read_csv(path, usecols=[0])) for path in small_files)
    assert rows * 4 == sum(len(pd.read_csv(path, usecols=[0])) for path in files)
    # pandas and Dask give the same answers as a plain pandas reference.
    trips = pd.concat([pd.read_csv(path) for path in small_files], ignore_index=True)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    want = clean.groupby("start station name")["tripduration"].agg(["count", "mean", "median"]).sort_index()
    for got in (namespace["pandas_analysis"](small_files), namespace["dask_analysis"](small_files, scheduler="threads")):
        pd.testing.assert_frame_equal(got.sort_index()[["count", "mean", "median"]], want, check_dtype=False,
                                      check_index_type=False, check_names=False, check_column_type=False)
    assert [t.name for t in namespace["now"].timings] == ["pandas", "Dask, threads"]
    for result in namespace["results"]:  # every results file found is well formed
        assert {"machine", "versions", "date", "weak", "strong"} <= set(result)
    # The strong-scaling findings use the file's own points: every measurement of n workers at
    # the strong-scaling size, from both series, is in what the page compares.
    for result in namespace["results"]:
        both = namespace["strong_points"](result)
        if not any("median_seconds" in p for p in result["strong"]):
            continue
        expected = sum(1 for p in result["strong"] if "median_seconds" in p)
        expected += sum(1 for p in result["weak"] if p["engine"] == "dask-cluster" and "median_seconds" in p
                        and p["scale"] in {s["scale"] for s in result["strong"]})
        assert len(both) == expected
        assert set(both.loc[both["series"] == "weak", "workers"]) <= {result["machine"]["granted_cores"]}


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------------


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------------


def _parquet_copy(files) -> str:
    """The trips as a Parquet folder, as the lesson's copy is (the check reads it with pandas)."""
    folder = tempfile.mkdtemp(prefix="wrong-answers-parquet-")
    trips = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    trips.to_parquet(f"{folder}/part.0.parquet")
    return folder


def _clean(files):
    trips = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    return trips[trips["tripduration"] > 0].dropna(subset=["end station id"])


def _start_not_end(files):
    medians = _clean(files).groupby("start station name")["tripduration"].median()
    return {"answer": medians.nlargest(5), "parquet_dir": _parquet_copy(files)}


def _mean_not_median(files):
    means = _clean(files).groupby("end station name")["tripduration"].mean()
    return {"answer": means.nlargest(5), "parquet_dir": _parquet_copy(files)}


def _in_minutes(files):
    medians = _clean(files).groupby("end station name")["tripduration"].median()
    return {"answer": (medians / 60).nlargest(5), "parquet_dir": _parquet_copy(files)}


def _timings(files, names=("Dask, one thread", "Dask, threads")):
    counts = dd.read_csv(files, usecols=["tripduration"])["tripduration"].sum()
    return compare({names[0]: lambda: counts.compute(scheduler="synchronous"),
                    names[1]: lambda: counts.compute(scheduler="threads")}, warmup=0)


def _ratio_upside_down(files):
    timings = _timings(files)
    return {"answer": timings.speedup("Dask, threads", "Dask, one thread"), "timings": timings}


def _pandas_against_threads(files):
    timings = _timings(files, names=("pandas", "Dask, threads"))
    return {"answer": timings.speedup("pandas", "Dask, threads"), "timings": timings}


def _dirty_trips_result(files):
    timings = _timings(files)
    trips = pd.concat([pd.read_csv(path, usecols=["start station name", "tripduration"]) for path in files])
    result = trips.groupby("start station name")["tripduration"].agg(["count", "mean", "median"])
    return {"answer": timings.speedup("Dask, one thread", "Dask, threads"), "timings": timings,
            "result": result, "paths": files}


CHECKS = {"plot_01_bigger_than_memory": check_bigger_than_memory, "plot_02_scaling_study": check_scaling_study}
WRONG_ANSWERS = {
    "plot_01_bigger_than_memory": [_start_not_end, _mean_not_median, _in_minutes],
    "plot_02_scaling_study": [_ratio_upside_down, _pandas_against_threads, _dirty_trips_result],
}
