"""
Should you use Dask here?
=========================

"Why is Dask slower than pandas?" is the question learners ask most, and Dask's own best
practices open with *Start Small*: parallelism brings overhead, and often a problem does not
need it. If the data fits in memory, plain pandas, or a faster single-machine engine, may be all
you need. This lesson answers the question with measurements instead of opinions: the same
analysis written in pandas, Polars, DuckDB and Dask, timed side by side on this machine at a
small size, on CSV and Parquet files, then the
course's scaling study of the same analysis at growing sizes, with the size from which one tool overtakes another
computed from the file.

**You will be able to:** write one group-by analysis in pandas, Polars, DuckDB (SQL) and Dask
and check that they agree; say which pandas you compare Dask with; read a crossover (the size
from which one engine is faster than another) off measured medians; and choose a tool for a
given size of data and machine, knowing what each one cannot do.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners read "Dask was slower here" as "Dask is slow". Point
#      at the sizes: the live part measures small data, where fixed costs weigh most.
#    - **Do not skip:** Which pandas is compared: pandas 3.1 reads a local CSV file of 5 MiB or
#      more with several threads, so "pandas against Dask" is not "one core against all".
#    - **Ask the room:** Your data is 5 GB of CSV and your laptop has 16 GB: which tool, and
#      what would make you change your mind?

# %%
# What this machine can run
# -------------------------
# pandas and Dask come with the course. Polars and DuckDB are optional: the lesson runs the
# engines that are installed here and says which it skipped (``pip install polars duckdb`` adds
# them). ``find_spec`` looks for a module without importing it. Importing a library is a fixed
# cost, paid once per Python process: the installed engines are imported here, and the time it
# took is printed, so that no timed run below pays it.
import time
from importlib import import_module
from importlib.util import find_spec

optional = {"Polars": "polars", "DuckDB": "duckdb"}
installed = {name: find_spec(module) is not None for name, module in optional.items()}
skipped = [name for name, found in installed.items() if not found]
start = time.perf_counter()
for name, module in optional.items():
    if installed[name]:
        import_module(module)
print("optional engines installed:", ", ".join(n for n, found in installed.items() if found) or "none",
      f"(imported in {time.perf_counter() - start:.2f} s)")
print("skipped, not installed:", ", ".join(skipped) or "none")

# %%
# The cluster
# -----------
# Dask computes on a :term:`cluster` started here: one worker whose threads run inside this
# Python process (no ``if __name__ == "__main__":`` needed in a script), as many threads as this
# job's cores, every service on the loopback address. The median needs all of a station's trips
# in one place, so Dask shuffles them between partitions; on a cluster that is a P2P shuffle,
# which logs its bookkeeping as warnings: ``silence_logs`` keeps those out of the output.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs="error",  # P2P logs its shuffles' bookkeeping as warnings
)
client = Client(cluster)
threads = client.nthreads()  # worker address -> threads
print(f"{len(threads)} worker, {sum(threads.values())} threads; cores granted to this job: {granted_cores()}")

# %%
# One analysis, four tools
# ------------------------
# The analysis of the scaling study: read the twelve monthly files; keep trips with a positive
# duration and an end station; per start station, count the trips and take the mean and the
# exact median of their duration; join the station table (``bikes.stations()``) for the
# station's name. Each tool returns a pandas DataFrame indexed by station name, sorted, so the
# answers can be compared. First pandas, as it is usually written: every file read whole.
import pandas as pd
from tutorial_helpers import bikes

stations = bikes.stations()[["id", "name"]]


def pandas_analysis(paths, read=pd.read_csv):
    trips = pd.concat([read(path) for path in paths], ignore_index=True)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    stats = clean.groupby("start station id").agg(
        count=("tripduration", "count"), mean=("tripduration", "mean"), median=("tripduration", "median"))
    named = stats.merge(stations, left_index=True, right_on="id")
    return named.set_index("name").sort_index()[["count", "mean", "median"]]


# %%
# Dask: the same pandas code on a Dask DataFrame. The ``dtype`` is the one of the
# :ref:`Dask DataFrame lesson <dask-dataframe>` (the first rows of a file cannot tell Dask that a
# column has missing values further down). The result of ``compute()`` is a small pandas
# DataFrame, one row per station: sorting it is pandas' job.
import dask.dataframe as dd

trip_dtypes = {"birth year": "float64", "end station id": "float64"}


def dask_query(paths, read=None):
    trips = read(paths) if read else dd.read_csv(paths, dtype=trip_dtypes)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    stats = clean.groupby("start station id").agg(
        count=("tripduration", "count"), mean=("tripduration", "mean"), median=("tripduration", "median"))
    return stats.merge(stations, left_index=True, right_on="id")


def dask_analysis(paths, read=None):
    joined = dask_query(paths, read).compute()
    return joined.set_index("name").sort_index()[["count", "mean", "median"]]


# %%
# Polars, lazy: ``scan_csv`` plans the query and ``collect(engine="streaming")`` runs it in
# batches. Like Dask, Polars is told the type of ``end station id``: the files
# write a missing station as an empty quoted field, ``""``, which Polars otherwise reads as text
# (an empty string is not a missing value, and those trips would be counted). DuckDB: the same
# query in SQL over the files, given every column's type (``auto_detect = false``: no sniffing
# of each file's types), as the scaling study's harness does. Each function imports its library
# inside (at once, since the first cell did), so this cell runs where it is not installed.


def polars_analysis(paths, scan="csv"):
    import polars as pl

    if scan == "csv":
        trips = pl.scan_csv(paths, schema_overrides={"end station id": pl.Float64})
    else:
        trips = pl.scan_parquet(paths)
    query = (
        trips.filter((pl.col("tripduration") > 0) & pl.col("end station id").is_not_null())
        .group_by("start station id")
        .agg(count=pl.len(), mean=pl.col("tripduration").mean(), median=pl.col("tripduration").median())
        .join(pl.from_pandas(stations).lazy(), left_on="start station id", right_on="id")
    )
    return query.collect(engine="streaming").to_pandas().set_index("name").sort_index()[["count", "mean", "median"]]


duckdb_types = {"tripduration": "BIGINT", "start station id": "BIGINT", "end station id": "DOUBLE"}
duckdb_columns = {name: duckdb_types.get(name, "VARCHAR") for name in bikes.SCHEMA}  # the files' 15 columns


def duckdb_analysis(paths, scan="csv"):
    import duckdb

    source = "read_csv($files, header = true, auto_detect = false, columns = $columns)"
    if scan == "parquet":
        source = "read_parquet($files)"
    with duckdb.connect() as con:
        con.register("stations", stations)
        query = f"""
            SELECT s.name, count(*) AS count, avg(t.tripduration) AS mean, median(t.tripduration) AS median
            FROM {source} AS t JOIN stations AS s ON s.id = t."start station id"
            WHERE t.tripduration > 0 AND t."end station id" IS NOT NULL
            GROUP BY s.name ORDER BY s.name"""
        parameters = {"files": [str(p) for p in paths]} | ({"columns": duckdb_columns} if scan == "csv" else {})
        return con.execute(query, parameters).df().set_index("name")


# %%
# The data
# --------
# The live part of this lesson runs on a quarter of the course's year: synthetic trips made the
# same way, a quarter as many, written once beside the course's data (``bikes.scaled``). A
# quarter, because every engine runs several times here and the page must stay quick to build;
# the larger sizes come from the scaling study's results file, further down.
data = bikes.scaled(0.25 * bikes.info()["scale"])  # made on first use
csv_files = bikes.trip_files(data)
trips = bikes.info(data)["trips"]
print(f"{len(csv_files)} CSV files, {trips:,} trips, {bikes.info(data)['trip_bytes'] / 2**20:.0f} MiB")

# %%
# Which pandas?
# -------------
# pandas 3.1 is parallel too: its ``read_csv`` parses a local, uncompressed file of 5 MiB or more
# on several threads, as many as the option ``mode.max_threads`` allows (``None``, the default:
# at most 6, and no more than the CPUs this process may use), when, among other conditions, it
# reads the whole file and parses no dates, as this lesson's pandas does
# (:ref:`lesson 2.2 <pandas-is-parallel-too>` measures it). Dask's ``read_csv`` hands pandas
# blocks of bytes, parsed one thread each: there, the parallelism is Dask's. So this lesson times
# two pandas: the default, and pandas limited to one thread with ``pd.option_context``. The
# option, and how many of the files are big enough for pandas' threads:
import os

print("mode.max_threads:", pd.get_option("mode.max_threads"),
      f"(CPUs on this machine: {os.cpu_count()}, cores granted to this job: {granted_cores()})")
big = sum(path.stat().st_size >= 5 * 2**20 for path in csv_files)
print(f"{big} of {len(csv_files)} files are 5 MiB or more")


def pandas_one_thread(paths, read=pd.read_csv):
    with pd.option_context("mode.max_threads", 1):
        return pandas_analysis(paths, read)


# %%
# Timed, and do they agree?
# -------------------------
# A comparison of speed means nothing unless the answers are the same. ``compare`` runs each
# engine three times, timed, and the median counts; every run reads and parses the files again
# (from the operating system's file cache after the first read). Each run keeps its answer, so
# the answers checked here are those of the runs timed: counts must match exactly, means and
# medians to a billionth. There is no warm-up run: the imports were paid above, but the first of
# the three runs is still each engine's first call on these files. A slower first call widens
# that engine's min – max range, which makes a verdict below more likely to report two engines
# as within run-to-run variation than to name a winner.
from tutorial_helpers.timing import compare

engines = {
    "pandas": pandas_analysis,
    "pandas, 1 thread": pandas_one_thread,
    "Polars": polars_analysis,
    "DuckDB": duckdb_analysis,
    "Dask, cluster": dask_analysis,
}
engines = {name: run for name, run in engines.items() if installed.get(name, True)}


def agree(answers, reference):
    """Assert that every answer is the reference's; print how close each came."""
    for name, answer in answers.items():
        assert answer.index.equals(reference.index) and (answer["count"] == reference["count"]).all(), name
        stats = ["mean", "median"]
        worst = ((answer[stats] - reference[stats]).abs() / reference[stats]).max().max()
        assert worst < 1e-9, name
        print(f"{name:17} {len(answer)} stations, same counts, means and medians within {worst:.1e} of pandas'")


def keeping(answers, name, run):
    """``run``, timed by ``compare``, keeping its answer in ``answers[name]``."""
    def timed():
        answers[name] = run()
    return timed


answers = {}
live = {"csv": compare({name: keeping(answers, name, lambda run=run: run(csv_files))
                        for name, run in engines.items()}, warmup=0)}
reference = answers["pandas"]
agree(answers, reference)
reference.head()

# %%
# The times, one row per engine:
live["csv"]

# %%
# What Dask does besides the work: it builds a :term:`task graph`, and the scheduler hands out
# every task of it; for the exact median, the graph shuffles the trips between partitions. The
# graph ``compute()`` runs (optimized as ``compute()`` optimizes it, without fusing tasks),
# counted by the kind of task:
from collections import Counter

import dask
from dask.utils import key_split

graph = dask_query(csv_files).optimize(fuse=False).__dask_graph__()
kinds = Counter(key_split(key) for key in graph)
shuffle_method = dask.utils.get_default_shuffle_method()
print(f"{len(graph)} tasks for {len(csv_files)} files; shuffle method: {shuffle_method}")
print(", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))

# %%
# What the table says, as computed sentences. Dask is expected to lose at this size, where those
# tasks and the shuffle weigh most against the work, and it has only this machine's cores to
# share the work on, like the others.


def verdicts(timings):
    print(timings.verdict("pandas", "Dask, cluster", otherwise=(
        "Dask's parallelism can outweigh its fixed costs once there is enough work.")))
    if "pandas, 1 thread" in [t.name for t in timings.timings]:
        why = ("no file here is 5 MiB or more, so both pandas parsed on one thread." if big == 0 else
               "pandas' threads need free cores, and other programs may have held them.")
        print(timings.verdict("pandas", "pandas, 1 thread", otherwise=f"Possible reason: {why}"))
    for name in ("Polars", "DuckDB"):
        if name in engines:
            print(timings.verdict(name, "pandas", otherwise=(
                f"{name} has fixed costs too, such as planning the query; they weigh most on small data.")))


verdicts(live["csv"])

# %%
# Parquet
# -------
# CSV is text that every engine must parse; Parquet stores typed columns, compressed. The lesson
# writes a Parquet copy of the same data, one file per month, into a temporary folder (removed at
# the end), times the engines on it as above, and checks the answers of the runs timed again.
# ``mode.max_threads`` is a setting of pandas' CSV reader only: ``read_parquet`` goes through
# Arrow, which decodes on its own thread pool (``use_threads=True`` by default), so the
# one-thread pandas is left out here.
import shutil
import tempfile
from pathlib import Path

parquet_dir = Path(tempfile.mkdtemp(prefix="choosing-a-tool-"))
parquet_files = []
for path in csv_files:
    parquet_files.append(parquet_dir / f"{path.stem}.parquet")
    pd.read_csv(path, dtype=trip_dtypes).to_parquet(parquet_files[-1])

on_parquet = {
    "pandas": lambda: pandas_analysis(parquet_files, read=pd.read_parquet),
    "Polars": lambda: polars_analysis(parquet_files, scan="parquet"),
    "DuckDB": lambda: duckdb_analysis(parquet_files, scan="parquet"),
    "Dask, cluster": lambda: dask_analysis(parquet_files, read=dd.read_parquet),
}
on_parquet = {name: run for name, run in on_parquet.items() if installed.get(name, True)}
parquet_answers = {}
live["parquet"] = compare({name: keeping(parquet_answers, name, run) for name, run in on_parquet.items()},
                          warmup=0)
agree(parquet_answers, reference)
live["parquet"]

# %%
verdicts(live["parquet"])

# %%
# The scaling study's results
# ---------------------------
# One size, measured on one machine at one moment, is not a trend. ``make scale``
# (``benchmarks/scaling.py`` in the course repository) runs the same analysis with each engine,
# each run in a fresh Python process, at growing sizes, on CSV and Parquet files (each results
# file lists its sizes and formats), and records the median wall time and the peak memory of
# the whole process tree (the cluster's workers included) in one JSON file per machine in
# ``benchmarks/results/``. This page
# looks for that folder from where it runs upwards, so it finds it inside a copy of the
# repository; elsewhere it says so. What each file holds, computed from it:
import json

here = Path.cwd().resolve()
folders = [folder / "benchmarks" / "results" for folder in [here, *here.parents]]
results_dir = next((folder for folder in folders if folder.is_dir()), None)
results = [json.loads(path.read_text()) for path in sorted(results_dir.glob("scaling-*.json"))] if results_dir else []
print(f"{len(results)} results file(s) found" + ("" if results else ": run `make scale` in the repository"))


def points(result):
    """One row per engine, format and size: median seconds and peak GiB, and whether it failed."""
    table = pd.DataFrame(result["weak"])
    table["format"] = table["format"] if "format" in table else "csv"  # files before Parquet: CSV only
    for column in ("median_seconds", "median_peak_memory_bytes", "errors", "skipped", "peak_memory_bytes_at_error"):
        if column not in table:
            table[column] = None
    table["failed"] = table["errors"].notna() | table["skipped"].notna()
    table["trips (M)"] = table["rows"] / 1e6
    table["peak GiB"] = table["median_peak_memory_bytes"].astype(float) / 2**30
    return table


for r in results:
    table = points(r)
    print(f"{r['machine']['name']} ({r['machine']['granted_cores']} cores, {r['machine']['memory_gib']} GiB), "
          f"measured {r['date'][:10]}, pandas {r['versions']['pandas']}, dask {r['versions']['dask']}")
    for fmt, group in table.groupby("format"):
        print(f"  {fmt}: engines {', '.join(sorted(group['engine'].unique()))}; "
              f"sizes (M trips) {', '.join(f'{s:g}' for s in sorted(group['trips (M)'].unique()))}")
    absent = [name for name in ("pandas-1-thread", "polars", "duckdb", "pyspark") if name not in set(table["engine"])]
    print(f"  not in this file: {', '.join(absent) or 'none'}")
    for engine, why in (r.get("skipped") or {}).items():
        print(f"  skipped by the harness: {engine} ({why})")
    for engine in sorted(table["engine"].unique()):
        print(f"  {engine}: {r['engines'].get(engine, 'no description')}")

# %%
# Time and memory against size
# ----------------------------
# One pair of plots per format: wall time and peak memory against the number of trips, both
# axes logarithmic (a straight line is a power law; the dotted guide is linear growth). A red
# cross marks a run that failed, at the memory it had reached (the harness stops a run whose
# processes pass a share of the RAM, and records it as out of memory); the dashed line is the
# machine's RAM.
import matplotlib.pyplot as plt

styles = {"pandas": ("tab:green", "o"), "pandas-1-thread": ("tab:olive", "o"), "polars": ("tab:purple", "D"),
          "duckdb": ("tab:brown", "v"), "dask-threads": ("tab:orange", "s"), "dask-cluster": ("tab:blue", "^"),
          "pyspark": ("tab:gray", "P")}
for r in results:
    table = points(r)
    for fmt, group in table.groupby("format"):
        fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(9, 3.8))
        for engine, line in group[~group["failed"]].groupby("engine"):
            color, marker = styles.get(engine, ("black", "x"))
            for ax, column in ((time_ax, "median_seconds"), (memory_ax, "peak GiB")):
                ax.loglog(line["trips (M)"], line[column].astype(float), marker=marker, color=color,
                          label=engine if ax is time_ax else None)  # one legend for both plots
        millions = sorted(group["trips (M)"].unique())
        start = group[group["trips (M)"] == millions[0]]["median_seconds"].astype(float).max()
        time_ax.loglog(millions, [start * m / millions[0] for m in millions], "k:", lw=1, label="linear")
        memory_ax.axhline(r["machine"]["memory_gib"], color="tab:red", ls="--", label="RAM")
        out = group[group["peak_memory_bytes_at_error"].notna()]
        if len(out):
            memory_ax.loglog(out["trips (M)"], out["peak_memory_bytes_at_error"].astype(float) / 2**30, "x",
                             color="tab:red", ms=9, mew=2, label="failed")
        for ax in (time_ax, memory_ax):
            ax.set_xticks(millions, [f"{m:g}" for m in millions], minor=False)
            ax.set_xticks([], minor=True)
        time_ax.set(xlabel="trips (millions)", ylabel="seconds", title=f"Wall time, {fmt}")
        memory_ax.set(xlabel="trips (millions)", ylabel="GiB", title=f"Peak memory, {fmt}")
        time_ax.legend(fontsize="x-small")
        memory_ax.set_ylim(top=r["machine"]["memory_gib"] * 1.6)
        memory_ax.legend(fontsize="x-small", loc="upper left")
        fig.suptitle(f"{r['machine']['name']}: {r['machine']['granted_cores']} cores, "
                     f"{r['machine']['memory_gib']} GiB, measured {r['date'][:10]}", fontsize="medium")
        fig.tight_layout()

# %%
# Crossovers, computed
# --------------------
# A *crossover* is the smallest size from which one engine is faster than another: at that size
# and at every larger size the file measured. A run that failed, or was not run after running
# out of memory on less data, counts as slower than any that finished. The function reads the
# medians; the sentences below are printed from it, so another machine's file gives its own.
import math


def medians(table, fmt):
    """Seconds per size (rows) and engine (columns); a failed run is infinitely slow."""
    group = table[table["format"] == fmt]
    seconds = group["median_seconds"].astype(float).where(~group["failed"], math.inf)
    return group.assign(seconds=seconds).pivot_table(index="rows", columns="engine", values="seconds", aggfunc="first")


def crossover(times, faster, slower):
    """The smallest size from which ``faster`` beat ``slower`` at every larger size; None if never."""
    pair = times[[faster, slower]].dropna()
    pair = pair[~(pair == math.inf).all(axis=1)]  # both failed: no evidence either way
    wins = pair[faster] < pair[slower]
    if not len(wins) or not wins.iloc[-1]:
        return None
    losses = wins.index[~wins]
    return wins.index[0] if not len(losses) else wins.index[wins.index > losses.max()][0]


def crossover_sentence(times, faster, slower):
    size, both = crossover(times, faster, slower), times[[faster, slower]].dropna().index
    if size is None:
        return f"{faster} was not faster than {slower} at the largest size both ran ({both.max() / 1e6:g} M trips)"
    if size == both.min():
        return f"{faster} was faster than {slower} at every size, from {size / 1e6:g} M trips"
    return f"{faster} was faster than {slower} from {size / 1e6:g} M trips on"


crossovers = {}
for r in results:
    table = points(r)
    print(f"{r['machine']['name']}, {r['date'][:10]}:")
    for fmt in sorted(table["format"].unique()):
        times = medians(table, fmt)
        dask_engines = [e for e in times.columns if e.startswith("dask")]
        others = [e for e in times.columns if not e.startswith("dask")]
        print(f"  {fmt}:")
        for dask_engine in dask_engines:
            for other in others:
                crossovers[(r["machine"]["name"], fmt, dask_engine, other)] = crossover(times, dask_engine, other)
                print(f"    - {crossover_sentence(times, dask_engine, other)}")
        fastest = times.idxmin(axis=1)
        print("    fastest engine per size: "
              + "; ".join(f"{rows / 1e6:g} M: {engine}" for rows, engine in fastest.items()))

# %%
# Every pair at once: in each table, the row's engine was faster than the column's engine from
# the size given (millions of trips) at every larger size; "never" if it was not faster at the
# largest size both ran.


def crossover_table(times):
    cells = {(a, b): crossover(times, a, b) for a in times.columns for b in times.columns if a != b}
    table = pd.DataFrame(index=times.columns, columns=times.columns, dtype=object)
    for (a, b), size in cells.items():
        table.loc[a, b] = "never" if size is None else f"{size / 1e6:g}"
    return table.fillna("").rename_axis(index="faster", columns="than")


for r in results:
    table = points(r)
    for fmt in sorted(table["format"].unique()):
        print(f"\n{r['machine']['name']}, {fmt}, faster (row) than (column) from ... M trips:")
        print(crossover_table(medians(table, fmt)).to_string())

# %%
# The page's live measurement beside the file's size nearest to it. The file's runs were made at
# another time, each in a fresh Python process, with the harness's own code and cluster (the
# descriptions above); this page's runs share its process and its cluster. pandas' time divided
# by Dask's on the cluster (above 1: Dask was faster), there and here: compare the ratios, not
# the seconds.
for r in results:
    table = points(r)
    for fmt in live:
        if fmt not in set(table["format"]):
            print(f"{r['machine']['name']}: no {fmt} points in this file")
            continue
        times = medians(table, fmt)
        nearest = min(times.index, key=lambda rows: abs(math.log(rows / trips)))
        if {"pandas", "dask-cluster"} <= set(times.columns):
            then = times.at[nearest, "pandas"] / times.at[nearest, "dask-cluster"]
            print(f"{fmt}: {then:.2f} in the file of {r['machine']['name']} at {nearest:,.0f} trips; "
                  f"{live[fmt].speedup('pandas', 'Dask, cluster'):.2f} here, now, at {trips:,} trips")

# %%
# Memory past RAM
# ---------------
# Time is half the story: an engine that needs the whole table in memory stops at the machine's
# RAM. Per engine, the file's largest finished point, and any run that ran out of memory:
for r in results:
    table = points(r)
    print(f"{r['machine']['name']} ({r['machine']['memory_gib']} GiB RAM):")
    for (fmt, engine), group in table.groupby(["format", "engine"]):
        done = group[~group["failed"]]
        line = f"  {fmt}, {engine}: "
        if len(done):
            last = done.loc[done["rows"].idxmax()]
            line += f"{last['peak GiB']:.1f} GiB peak at {last['trips (M)']:g} M trips"
        failed = group[group["errors"].notna()]
        if len(failed):
            first = failed.loc[failed["rows"].idxmin()]
            line += f"; failed at {first['trips (M)']:g} M trips: {first['errors'][0]}"
        print(line)

# %%
# What each tool cannot do
# ------------------------
# Speed at one size is not the whole choice. What each tool is built for:
#
# - **pandas** holds the whole table in one process's memory, so its peak memory grows with the
#   data (the plots above, at the file's larger sizes), and a run that reaches the machine's RAM
#   fails (the memory section shows where, if the file has such a run). Its own parallelism is
#   limited to parts such as ``read_csv`` and, through Arrow, ``read_parquet``.
# - **Polars** and **DuckDB**, as installed here, run inside this Python process, on this
#   machine's cores: a job that needs more cores than one machine has is out of their reach
#   (Polars' distributed engine, ``pl.RemoteEngine``, runs on Polars Cloud, a hosted service,
#   through the separate ``polars-cloud`` package). Past the RAM, Polars' streaming engine and
#   DuckDB can work from disk; the file's largest sizes show how they behaved, when it has them.
# - **Dask** pays fixed costs on small data (the graph, scheduling, the shuffle counted above),
#   and it scales out: the same code runs on a laptop, on a workstation, and on many machines of
#   an HPC cluster (:ref:`topic 13 <many-machines>`). Its workers spill to disk when their data
#   outgrows memory (:ref:`topic 19 <bigger-than-memory>`), and it runs any Python code in
#   parallel, not only DataFrames (:ref:`dask.delayed <dask-delayed>` and :ref:`futures`).
# - **Spark** (PySpark) also scales out to many machines; it runs on the Java virtual machine,
#   and its DataFrame API is its own (it also has a pandas-like one, ``pyspark.pandas``).
#
# A short decision guide
# ~~~~~~~~~~~~~~~~~~~~~~
# 1. **Start small.** If the data fits comfortably in memory and the analysis runs in seconds,
#    keep pandas; try Polars or DuckDB if it is too slow.
# 2. **Measure on your data and machine**, as this page does: the crossovers above are one
#    machine's, on one day.
# 3. **When one machine is not enough** (the data outgrows its memory and disk, or the work
#    needs more cores than it has), use Dask (or Spark) on a cluster.
# 4. **When the work is not a DataFrame query** (your own Python functions, arrays, many
#    independent tasks), Dask's ``delayed``, futures and arrays fit where SQL engines do not.

# %%
# Exercise
# --------
# Your machine's verdict, in numbers. From this page's live measurements, ``live["csv"]`` and
# ``live["parquet"]``, compute how many times faster Dask on the cluster ran than pandas with its
# default threads (a float above 1 if Dask won, below 1 if it lost), for each format. Put in
# ``answer`` a dict from the format (``"csv"``, ``"parquet"``) to that ratio. The check is given
# ``live`` too: it recomputes the ratios from your measurements.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("should_you_use_dask", answer, live=live)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       answer = {fmt: timings.speedup("pandas", "Dask, cluster") for fmt, timings in live.items()}
#       print(answer)
#       check("should_you_use_dask", answer, live=live)

# %%
# Key points
# ----------
# - Compare tools on the same analysis, with answers checked equal, on data like yours.
# - Say which pandas you compare with: pandas 3.1 reads large CSV files with several threads.
# - On small data Dask's fixed costs dominate, and single-machine engines such as Polars and
#   DuckDB are built for speed on one machine.
# - A crossover is computed from medians at every larger size, not read off one point.
# - Dask earns its place when one machine is not enough, or when the work is not a query.

# %%
# Clean up
# --------
# The Parquet copy is removed; closing the client and the cluster stops the worker's threads.
shutil.rmtree(parquet_dir)
client.close()
cluster.close()
