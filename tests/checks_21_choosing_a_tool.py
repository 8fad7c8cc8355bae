"""Results checks for the lessons in examples/21_choosing_a_tool: the engines agree, the pandas the
lesson describes is the installed one, and every crossover it printed follows from the results file."""

import inspect
import io
import math
import os
import re
from collections import Counter
from importlib.util import find_spec

import dask
import pandas as pd
import pyarrow.parquet as pq
from dask._expr import FinalizeCompute
from dask.dataframe.io import csv as dask_csv
from dask.utils import key_split
from distributed.shuffle import _scheduler_plugin
from pandas.compat._cpu import available_cpu_count
from pandas.io import parquet as pandas_parquet
from pandas.io.parsers import readers

from reference import stations_analysis
from tutorial_helpers import bikes
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.timing import Timing, Timings

OPTIONAL = {"Polars": "polars", "DuckDB": "duckdb"}


def assert_same(answer: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    assert list(answer.index) == list(want.index), name
    assert (answer["count"].to_numpy() == want["count"].to_numpy()).all(), name
    for column in ("mean", "median"):
        got, expected = answer[column].to_numpy(dtype=float), want[column].to_numpy(dtype=float)
        assert (abs(got - expected) <= 1e-9 * abs(expected)).all(), (name, column)


def crossover_by_brute_force(times: pd.DataFrame, faster: str, slower: str):
    """Smallest size s from which `faster` beat `slower` at every size >= s where either finished."""
    sizes = [s for s in sorted(times.index)
             if not (pd.isna(times.at[s, faster]) or pd.isna(times.at[s, slower]))
             and not (times.at[s, faster] == math.inf and times.at[s, slower] == math.inf)]
    for s in sizes:
        if all(times.at[t, faster] < times.at[t, slower] for t in sizes if t >= s):
            return s
    return None


def check_should_you_use_dask(namespace, files):
    # What is installed decides what ran, and the lesson says what it skipped.
    missing = [name for name, module in OPTIONAL.items() if find_spec(module) is None]
    assert namespace["skipped"] == missing
    engines = namespace["engines"]
    assert list(engines) == [n for n in ("pandas", "pandas, 1 thread", "Polars", "DuckDB", "Dask, cluster")
                             if n not in missing]

    # Every engine's answer is the reference's, on CSV and on Parquet, at a quarter of the course's data.
    csv_files = namespace["csv_files"]
    assert [p.name for p in csv_files] == [p.name for p in files]
    assert bikes.info(csv_files[0].parent)["scale"] == 0.25 * bikes.info(files[0].parent)["scale"]
    assert namespace["trips"] == bikes.info(csv_files[0].parent)["trips"] > 0
    want = stations_analysis(csv_files)
    assert list(namespace["answers"]) == list(engines)
    for name, answer in namespace["answers"].items():
        assert_same(answer, want, name)
    assert list(namespace["parquet_answers"]) == [n for n in engines if n != "pandas, 1 thread"]
    for name, answer in namespace["parquet_answers"].items():
        assert_same(answer, want, f"{name} on Parquet")
    assert [p.stem for p in namespace["parquet_files"]] == [p.stem for p in csv_files]
    assert not namespace["parquet_dir"].exists(), "the Parquet copy is removed at the end"
    if "Polars" in engines:  # without its type, Polars reads the files' missing end station ("") as text
        import polars as pl

        assert pl.scan_csv(csv_files).collect_schema()["end station id"] == pl.String

    # The pandas the lesson describes: read_csv threads by mode.max_threads (default None: min(cores, 6)),
    # only for a file path of 5 MiB or more, not for bytes (Dask's blocks) and not with parse_dates.
    assert pd.get_option("mode.max_threads") is None
    assert readers._PARALLEL_READ_MIN_BYTES == 5 * 2**20 and readers._MAX_DEFAULT_WORKERS == 6
    assert not readers._can_parallelize_csv(io.BytesIO(b"a\n1\n"), {})
    assert "reader(bio, **kwargs)" in inspect.getsource(dask_csv.pandas_read_text)  # Dask hands pandas a BytesIO
    assert "max_threads" not in inspect.getsource(pandas_parquet)  # the option is the CSV reader's
    biggest = max(files, key=lambda p: p.stat().st_size)
    assert not readers._can_parallelize_csv(str(biggest), {"parse_dates": ["starttime"]})
    if biggest.stat().st_size >= 2 * readers._PARALLEL_READ_MIN_BYTES:
        assert readers._can_parallelize_csv(str(biggest), {})

    # Dask's graph holds a shuffle for the median, P2P on the cluster.
    assert namespace["shuffle_method"] == "p2p"
    kinds = namespace["kinds"]
    assert kinds["p2pshuffle"] >= 1 and kinds["read-csv"] == len(csv_files), kinds
    assert len(namespace["graph"]) == sum(namespace["kinds"].values())
    with dask.config.set({"dataframe.shuffle.method": "p2p"}):  # the graph printed is the one compute() runs
        ran = FinalizeCompute(namespace["dask_query"](csv_files).expr).optimize().__dask_graph__()
    assert Counter(key_split(key) for key in ran) == kinds
    assert re.search(r'logger\.warning\(\s*"Shuffle %s initialized', inspect.getsource(_scheduler_plugin))
    threads = namespace["threads"]  # the cluster printed: one in-process worker, the cores granted
    assert len(threads) == 1 and sum(threads.values()) == granted_cores(), threads
    assert all(address.startswith("tcp://127.0.0.1:") for address in threads), threads

    # What the page says of the other readers and engines.
    assert readers._default_n_workers() == min(os.cpu_count() or 1, readers._MAX_DEFAULT_WORKERS,
                                               available_cpu_count() or os.cpu_count() or 1)
    assert inspect.signature(pq.read_table).parameters["use_threads"].default is True
    assert inspect.signature(pd.DataFrame.to_parquet).parameters["compression"].default == "snappy"
    if "Polars" in engines:
        import polars as pl

        assert "larger-than-memory" in inspect.getdoc(pl.StreamingEngine)
        assert "polars_cloud" in inspect.getsource(inspect.getmodule(pl.RemoteEngine))
    if "DuckDB" in engines:
        import duckdb

        with duckdb.connect() as con:  # DuckDB spills to a temporary folder past its memory limit
            assert con.sql("SELECT current_setting('temp_directory')").fetchall()[0][0]

    # The live measurements: every engine, three timed runs and no warm-up run (the answers checked
    # above are those the timed runs kept), on each format.
    live = namespace["live"]
    assert list(live) == ["csv", "parquet"]
    for fmt, timings in live.items():
        names = [t.name for t in timings.timings]
        assert names == [n for n in engines if fmt == "csv" or n != "pandas, 1 thread"], names
        assert all(len(t.seconds) == 3 for t in timings.timings)
        assert (timings.repeat, timings.warmup) == (3, 0)

    # Every crossover printed follows from the file, computed again another way.
    results, crossovers = namespace["results"], namespace["crossovers"]
    expected_keys = set()
    for r in results:
        table = namespace["points"](r)
        for fmt in table["format"].unique():
            times = namespace["medians"](table, fmt)
            for faster in [e for e in times.columns if e.startswith("dask")]:
                for slower in [e for e in times.columns if not e.startswith("dask")]:
                    key = (r["machine"]["name"], fmt, faster, slower)
                    expected_keys.add(key)
                    assert crossovers[key] == crossover_by_brute_force(times, faster, slower), key
    assert set(crossovers) == expected_keys

    # The exercise's reference solution.
    assert namespace["answer"] == {fmt: live[fmt].speedup("pandas", "Dask, cluster") for fmt in live}
    assert namespace["cluster"].status.name == "closed"


CHECKS = {"plot_01_should_you_use_dask": check_should_you_use_dask}


# -- typical wrong answers to the exercise (tests/test_exercises.py) ------------------------------
# Measurements made up for the test, not by a lesson: the check recomputes from whatever it is given.


def _live():
    def timings(rows):
        return Timings([Timing(name, seconds, None) for name, seconds in rows], repeat=3, warmup=0,
                       measured_on="a test")

    return {"csv": timings([("pandas", (0.5, 0.6, 0.7)), ("pandas, 1 thread", (0.8, 0.9, 1.0)),
                            ("Dask, cluster", (1.4, 1.5, 1.6))]),
            "parquet": timings([("pandas", (0.2, 0.25, 0.3)), ("Dask, cluster", (0.9, 1.0, 1.1))])}


def _upside_down(files):
    """Dask's median divided by pandas'."""
    live = _live()
    return {"answer": {fmt: t.speedup("Dask, cluster", "pandas") for fmt, t in live.items()}, "live": live}


def _csv_only(files):
    live = _live()
    return {"answer": {"csv": live["csv"].speedup("pandas", "Dask, cluster")}, "live": live}


def _against_one_thread(files):
    """On CSV, compared with pandas limited to one thread, not pandas' default."""
    live = _live()
    return {"answer": {"csv": live["csv"].speedup("pandas, 1 thread", "Dask, cluster"),
                       "parquet": live["parquet"].speedup("pandas", "Dask, cluster")}, "live": live}


def _without_the_measurements(files):
    live = _live()
    return {"answer": {fmt: t.speedup("pandas", "Dask, cluster") for fmt, t in live.items()}}


WRONG_ANSWERS = {"plot_01_should_you_use_dask": [
    _upside_down, _csv_only, _against_one_thread, _without_the_measurements,
]}
