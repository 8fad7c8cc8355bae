"""Results checks for the lessons in examples/19_bigger_than_memory: the same answers as pandas."""

import pandas as pd


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
    assert [t.name for t in namespace["threads_or_not"].timings] == ["Dask, one thread", "Dask, threads"]
    for result in namespace["results"]:  # every results file found is well formed
        assert {"machine", "versions", "date", "weak", "strong"} <= set(result)


CHECKS = {"plot_01_bigger_than_memory": check_bigger_than_memory, "plot_02_scaling_study": check_scaling_study}
