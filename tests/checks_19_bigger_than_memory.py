"""Results checks for the lessons in examples/19_bigger_than_memory: the same answers as pandas."""

import json
import math
import os
import re
import tempfile
from pathlib import Path

import dask.dataframe as dd
import pandas as pd

from reference import stations_analysis
from tutorial_helpers.exercises import clean_trips
from tutorial_helpers.timing import compare


def _columns_read(collection):
    """The column lists of every Parquet read in the optimised plan of ``collection``."""
    read = []
    for expr in collection.optimize(fuse=False).expr.walk():
        inner = expr.operand("_expr") if type(expr).__name__ == "FusedIO" else expr
        if type(inner).__name__.startswith("ReadParquet"):
            read.append(sorted(inner.columns))
    return read


def check_bigger_than_memory(namespace, files):
    import dask
    from tutorial_helpers import bikes

    # The plan printed: count and mean in ceil(n/15) partitions of the n read (a tree only if one),
    # the medians shuffled into the n partitions read, and one Parquet read for both results.
    from dask._expr import FinalizeCompute
    from dask.base import collections_to_expr

    counts_plan, median_plan = (part.optimize(fuse=False) for part in namespace["station_stats_of"](namespace["slim"]))
    assert (namespace["counts_partitions"], namespace["median_partitions"]) == (counts_plan.npartitions,
                                                                               median_plan.npartitions)
    read = [e for e in median_plan.expr.walk() if type(e).__name__ == "FusedIO"]
    assert len(read) == 1 and read[0].npartitions == namespace["median_partitions"]
    assert namespace["counts_partitions"] == math.ceil(namespace["median_partitions"] / 15)
    tree = any(type(e).__name__ == "TreeReduce" for e in counts_plan.expr.walk())
    assert tree == (namespace["counts_partitions"] == 1)
    both = FinalizeCompute(collections_to_expr(list(namespace["station_stats_of"](namespace["slim"])), True)).optimize()
    assert len({e._name for e in both.walk() if type(e).__name__ == "FusedIO"}) == 1

    # The larger year: sixteen times the scale and the trips of the data the lesson found, in
    # twelve monthly files. (Only the columns the answers below need are read here.)
    course = bikes.info(files[0].parent)
    big_files = namespace["big_files"]
    assert len(big_files) == 12 and namespace["scale"] == 16 * course["scale"]
    assert bikes.info(namespace["big_dir"])["trips"] == 16 * course["trips"]
    needed = ["tripduration", "start station name", "end station id", "end station name"]
    trips = pd.concat([pd.read_csv(path, usecols=needed) for path in big_files], ignore_index=True)
    assert len(trips) == 16 * course["trips"]

    # Only the three columns are read, by Dask (the optimised plan) and by pandas (same list).
    columns = namespace["columns"]
    assert sorted(columns) == ["end station id", "start station name", "tripduration"]
    assert list(namespace["slim"].columns) == columns
    plan = [read for result in namespace["station_stats_of"](namespace["slim"]) for read in _columns_read(result)]
    assert plan and all(read == sorted(columns) for read in plan), plan
    assert "pd.read_parquet(folder, columns=columns)" in namespace["PANDAS"]
    assert json.loads(namespace["child"].args[4]) == columns

    # Their size in memory: what pandas reports for the same columns of the same Parquet files.
    pandas_bytes = pd.read_parquet(namespace["parquet_dir"], columns=columns).memory_usage(deep=True).sum()
    assert abs(namespace["in_memory"] - pandas_bytes) < 0.01 * pandas_bytes
    assert namespace["ratio"] == namespace["in_memory"] / namespace["budget"]

    # The policy printed is Dask's configuration; the budget is below the worker's limit.
    policy = namespace["policy"]
    assert policy == {name: dask.config.get(f"distributed.worker.memory.{name}")
                      for name in ("target", "spill", "pause", "terminate")}
    assert policy["target"] < policy["spill"] < policy["pause"] < policy["terminate"] < 1
    # The budget is half the worker's limit, as the page says.
    assert namespace["cluster_limit"] == namespace["worker_limit"] == 2 * namespace["budget"]
    # The shuffle that ran: P2P, its shards on disk.
    assert namespace["shuffle_method"] == "p2p" and dask.config.get("distributed.p2p.storage.disk") is True
    assert namespace["restarted"] == set()
    # The worker's peak is one of the processes measured (this process and at least the worker),
    # and the thresholds printed are those that peak reached.
    assert len(namespace["dask_memory"].peaks) >= 2
    peak, limit = namespace["worker_peak"], namespace["cluster_limit"]
    assert 0 < peak <= max(namespace["dask_memory"].peaks.values())
    assert namespace["reached_thresholds"] == [name for name in ("spill", "pause", "terminate")
                                               if peak >= policy[name] * limit]
    # Spilling is by the policy: nothing is written to disk while a worker stays under ``target``.
    if peak < policy["target"] * limit:
        assert namespace["spilled_bytes"] == 0
    assert namespace["spilled_bytes"] >= 0

    # Both runs were measured (a level, then samples) and their verdicts follow from the numbers.
    for name in ("dask_memory", "pandas_memory"):
        memory = namespace[name]
        assert len(memory.samples) >= 2 and memory.growth > 0
    assert namespace["child"].returncode == 0
    assert namespace["dask_fits"] == (namespace["dask_memory"].growth <= namespace["budget"])
    assert namespace["pandas_fits"] == (namespace["pandas_memory"].growth <= namespace["budget"])
    assert namespace["reached"] == namespace["in_memory"] / namespace["dask_memory"].growth
    if course["scale"] >= 1:  # the course's data (not the test suite's small copy)
        assert namespace["ratio"] >= 2, "the columns read must take at least twice the budget"
        # Dask's processes grow by no more than the budget while the columns take twice it;
        # pandas, same columns, needs more than the budget and more than Dask.
        assert namespace["dask_fits"], "Dask must stay within the budget on the course's data"
        assert namespace["reached"] >= namespace["ratio"] >= 2
        assert not namespace["pandas_fits"]
        assert namespace["pandas_memory"].growth > namespace["dask_memory"].growth

    # The answers: the same as pandas on the CSVs.
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
    assert namespace["same"]
    # The sample is the first two partitions (Parquet files) of the same analysis.
    first_two = pd.concat([pd.read_parquet(path, columns=columns)
                           for path in sorted(namespace["parquet_dir"].glob("*.parquet"))[:2]])
    first_two = first_two[first_two["tripduration"] > 0].dropna(subset=["end station id"])
    assert namespace["slim"].npartitions == len(list(namespace["parquet_dir"].glob("*.parquet")))
    assert int(namespace["sample"]["count"].sum()) == len(first_two)

    longest = (clean.groupby("end station name")["tripduration"].median()).nlargest(5)
    assert namespace["longest"].tolist() == longest.tolist()


def check_scaling_study(namespace, files):
    from tutorial_helpers import bikes

    small_files = namespace["small_files"]
    assert len(small_files) == 12
    assert small_files == bikes.trip_files(bikes.scaled(namespace["scale"]))
    rows = sum(len(pd.read_csv(path, usecols=[0])) for path in small_files)
    assert rows * 4 == sum(len(pd.read_csv(path, usecols=[0])) for path in files)
    assert namespace["rows_now"] == rows
    # The median's plan shuffles on disk without a client (printed next to the sentence).
    assert namespace["median_shuffles"] == ["DiskShuffle"]
    # pandas_analysis reads whole files: usecols turns pandas 3.1's parallel parser off; it starts at 5 MiB.
    from pandas.io.parsers import readers

    assert readers._PARALLEL_READ_MIN_BYTES == 5 * 2**20
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.csv")
        with open(path, "w") as f:
            f.write("a,b\n" + "1,2\n" * (6 * 2**20 // 4))
        assert readers._can_parallelize_csv(path, {})
        assert not readers._can_parallelize_csv(path, {"usecols": ["a"]})
    # "slower in every run at ..." holds for every size it names, single runs starred.
    for result in namespace["results"]:
        runs = {(p["rows"], p["engine"]): p["seconds"] for p in result["weak"]
                if p.get("format", "csv") == "csv" and "seconds" in p}
        for line in namespace["findings"](result):
            pair = re.match(r"(dask-\S+) was (?:never )?faster than ([\w-]+)", line)
            slow = re.search(r"slower in every run at ([\d.*, ]+) M", line)
            for size in slow.group(1).split(", ") if slow else []:
                rows_there = round(float(size.rstrip("*")) * 1e6)
                assert min(runs[rows_there, pair.group(1)]) > max(runs[rows_there, pair.group(2)]), line
                once = min(len(runs[rows_there, pair.group(1)]), len(runs[rows_there, pair.group(2)])) == 1
                assert size.endswith("*") == once, line
    # pandas and Dask give the same answers as a plain pandas reference of the harness's analysis:
    # per start station id, joined with the station table for the name.
    want = stations_analysis(small_files)
    # The station table's names are the trips' own start station names.
    clean = clean_trips(small_files, ["start station id", "start station name"])
    own_names = clean.groupby("start station id")["start station name"].first().sort_index()
    names = bikes.stations().set_index("id")["name"]
    assert (own_names == names.loc[own_names.index].to_numpy()).all()
    for got in (namespace["pandas_analysis"](small_files), namespace["dask_analysis"](small_files, scheduler="threads")):
        pd.testing.assert_frame_equal(got[["count", "mean", "median"]], want, check_dtype=False,
                                      check_index_type=False, check_names=False, check_column_type=False,
                                      rtol=1e-9)
        assert got.index.is_monotonic_increasing
    assert [t.name for t in namespace["now"].timings] == ["pandas", "Dask, threads"]
    # The page's shuffle line is Dask's default without a client.
    assert namespace["dask"].utils.get_default_shuffle_method() == "disk"
    for result in namespace["results"]:  # every results file found is well formed
        assert {"machine", "versions", "date", "weak", "strong"} <= set(result)
        plotted = namespace["points"](result)
        assert set(plotted["engine"]) <= set(namespace["ENGINES"])
        assert (plotted["format"] == "csv").all()
        assert len(plotted) == sum(1 for p in result["weak"] if p.get("format", "csv") == "csv"
                                   and p["engine"] in namespace["ENGINES"])
    # A Dask engine "was faster" than pandas at a size only where every one of its runs was.
    for result in namespace["results"]:
        runs = {(p["rows"], p["engine"]): p["seconds"] for p in result["weak"]
                if p.get("format", "csv") == "csv" and "seconds" in p}
        for line in namespace["findings"](result):
            claim = re.match(r"(dask-\S+) was faster than (\S+) at ([\d.*, ]+) M trips", line)
            for size in claim.group(3).split(", ") if claim else []:
                rows = round(float(size.rstrip("*")) * 1e6)
                assert max(runs[rows, claim.group(1)]) < min(runs[rows, claim.group(2)]), line
                once = min(len(runs[rows, claim.group(1)]), len(runs[rows, claim.group(2)])) == 1
                assert size.endswith("*") == once, line  # a single run is marked as such
    # "This machine, now" against the file: the ranges are the runs' extremes, and the sentence
    # (agree or not) follows from whether they overlap.
    now = namespace["now"]
    low, high = namespace["now_range"]
    assert low == min(now["pandas"].seconds) / max(now["Dask, threads"].seconds) <= high
    assert high == max(now["pandas"].seconds) / min(now["Dask, threads"].seconds)
    if namespace["results"]:
        first = namespace["results"][0]
        csv = [p for p in first["weak"] if p.get("format", "csv") == "csv" and "seconds" in p]
        smallest = min(p["scale"] for p in csv if {"pandas", "dask-threads"} <= {
            q["engine"] for q in csv if q["scale"] == p["scale"]})
        runs = {p["engine"]: p["seconds"] for p in csv if p["scale"] == smallest}
        then = (min(runs["pandas"]) / max(runs["dask-threads"]), max(runs["pandas"]) / min(runs["dask-threads"]))
        assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(namespace["then_range"], then))
        assert namespace["agree"] == (then[0] <= high and low <= then[1])
    # The strong-scaling findings use the file's own points: every measurement of n workers at
    # the strong-scaling size, from both series (the weak one on CSV), is in what the page compares.
    for result in namespace["results"]:
        both = namespace["strong_points"](result)
        if not any("median_seconds" in p for p in result["strong"]):
            continue
        expected = sum(1 for p in result["strong"] if "median_seconds" in p)
        expected += sum(1 for p in result["weak"] if p["engine"] == "dask-cluster" and "median_seconds" in p
                        and p.get("format", "csv") == "csv"
                        and p["scale"] in {s["scale"] for s in result["strong"]})
        assert len(both) == expected
        assert set(both.loc[both["series"] == "weak", "workers"]) <= {result["machine"]["granted_cores"]}


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------------


def _parquet_copy(files) -> str:
    """The trips as a Parquet folder, as the lesson's copy is (the check reads it with pandas),
    written once beside the (test) data files, so it goes when they go."""
    folder = Path(files[0]).parent / "wrong-answers-parquet"
    if not folder.is_dir():
        scratch = Path(tempfile.mkdtemp(prefix=".wrong-answers-parquet-", dir=folder.parent))
        pd.concat([pd.read_csv(path) for path in files], ignore_index=True).to_parquet(scratch / "part.0.parquet")
        scratch.rename(folder)
    return str(folder)


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
