"""
Reading and writing data: CSV and Parquet
=========================================

A Dask DataFrame is split into partitions, and so is what it writes. Write one month of trips
to CSV the three ways the ``to_csv`` documentation offers (all through pandas in one process,
one file per partition in parallel, or one file written partition after partition) and measure
them. Then store four months as Parquet and answer a question by reading only the columns and
rows it needs, measured against the same question asked of the CSV files.

**You will be able to:** choose between ``compute().to_csv()``, ``to_csv("out-*.csv")`` and
``to_csv(..., single_file=True)``; write Parquet and read it back with ``columns=`` and
``filters=``; read many files with one glob pattern; and pick a file format for a job.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners expect ``to_csv`` to write one file; it writes one per
#      partition, and ``compute().to_csv()`` pulls everything into one process first.
#    - **Do not skip:** Parquet keeps the types and lets Dask read only the columns and row groups
#      a question needs.
#    - **Ask the room:** Which of the three ways to write CSV would you use for a file a colleague
#      opens in Excel?

# %%
# A cluster to compute on
# -----------------------
# Who writes each file, and in which process, is part of this lesson, so it starts a
# ``dask.distributed`` cluster of its own. Its workers run as threads of this Python process,
# so the same cell works in a notebook and in a script; ``granted_cores()`` counts the cores
# this job may use.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# A folder for the output
# -----------------------
# Everything this lesson writes goes into a temporary folder, deleted when ``workdir`` is
# cleaned up or Python exits. ``fresh_folder`` makes a new, empty folder inside it for every
# write, so that no timed run finds, overwrites or appends to the files of an earlier one.
import tempfile
from pathlib import Path

workdir = tempfile.TemporaryDirectory(prefix="dask-io-")
out = Path(workdir.name)


def fresh_folder(name):
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=out))


def list_files(folder):
    """Print each file's name and size in partition order; return total bytes."""
    paths = sorted(folder.iterdir(), key=lambda p: (len(p.name), p.name))
    for path in paths:
        print(f"  {path.name:<16} {path.stat().st_size / 2**20:7.2f} MiB")
    return sum(path.stat().st_size for path in paths)


# %%
# One month in a few partitions
# ------------------------------
# January's trips, read with the column types of :ref:`lesson 2 <dask-dataframe>`.
# ``blocksize="3MB"`` cuts the one file into partitions of about 3 MB, which ``persist()``
# loads into the cluster's memory, so the timings below measure writing, not reading.
import dask.dataframe as dd
from tutorial_helpers import bikes

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
csv_options = {"dtype": trip_dtypes, "parse_dates": ["starttime", "stoptime"]}

january = dd.read_csv(files[0], blocksize="3MB", **csv_options).persist()
january_rows = len(january)
print(f"{january_rows:,} trips in {january.npartitions} partitions")

# %%
# Three ways to write CSV
# -----------------------
# ``compute()`` first gathers the whole Dask DataFrame into one pandas DataFrame in *your*
# Python session, which then writes it: fine for a month, fatal for data bigger than this machine's
# memory. Here is what had to fit:
in_one_process = january.compute().memory_usage(deep=True).sum()
print(f"{in_one_process / 2**20:.1f} MiB in one pandas DataFrame")


def pandas_to_csv():
    folder = fresh_folder("pandas")
    january.compute().to_csv(folder / "trips.csv", index=False)
    return folder


# %%
# ``to_csv`` on the Dask DataFrame writes each partition to its own file, as tasks on the
# cluster that can run side by side; the ``*`` in the name becomes the partition number. With ``single_file=True``, Dask
# writes one file instead: the first partition creates it and each next one is appended in turn.
# (A name without ``*`` and without ``single_file`` becomes a *folder* of ``0.part``,
# ``1.part``, ...)


def parallel_to_csv():
    folder = fresh_folder("parallel")
    january.to_csv(folder / "trips-*.csv", index=False)
    return folder


def single_file_to_csv():
    folder = fresh_folder("single")
    january.to_csv(folder / "trips.csv", index=False, single_file=True)
    return folder


# %%
# The graphs show the difference before anything runs: ``compute=False`` returns the writes
# without doing them. One file per partition is one independent write per partition (a column
# each, read from the bottom up): they can all run at once.
import dask

writes = january.to_csv(out / "graph-*.csv", index=False, compute=False)
dask.visualize(*writes)

# %%
# ``single_file=True`` is a chain, drawn here from left to right: each write waits for the one
# before it, so only one task writes at any time, however many workers and threads there are.
chain = january.to_csv(
    out / "graph.csv", index=False, single_file=True, compute=False
)
dask.visualize(*chain, rankdir="LR")

# %%
# Measured
# --------
# A fourth row writes the same partitions as Parquet, the format of the next sections: also
# one file per partition. Writing is slow enough here to skip ``compare``'s warm-up run
# (``warmup=0``): three timed runs each.
from tutorial_helpers.timing import compare


def parallel_to_parquet():
    folder = fresh_folder("parquet")
    january.to_parquet(folder, write_index=False)
    return folder


write_timings = compare(
    {
        "compute().to_csv()": pandas_to_csv,
        'to_csv("trips-*.csv")': parallel_to_csv,
        "to_csv(single_file=True)": single_file_to_csv,
        "to_parquet(folder)": parallel_to_parquet,
    },
    warmup=0,
)
write_timings

# %%
# Writing CSV is work for the CPU: every number becomes text, much of the time going into the
# 15-digit latitudes and longitudes. One file per partition spreads that work over the worker's
# threads, which pays when there are idle cores for them, and where pandas' writer releases
# Python's global interpreter lock (the threads share one Python process); on a machine busy
# with other work there are no idle cores, and the extra coordination costs time instead. The
# chain and ``compute()`` keep it on one core either way. Parquet stores numbers as binary, not
# as text, so expect it to write fastest of all. In this run:
for slower in ["compute().to_csv()", "to_csv(single_file=True)"]:
    print(
        write_timings.verdict(
            'to_csv("trips-*.csv")',
            slower,
            otherwise="The partitions are written in parallel only where cores are free and "
            "the writer releases the GIL; otherwise coordinating the tasks costs more than it saves.",
        )
    )
print(
    write_timings.verdict(
        "to_parquet(folder)",
        'to_csv("trips-*.csv")',
        otherwise="Parquet also compresses what it writes, and for a few MiB per partition "
        "that can cost as much as formatting the numbers as text saves.",
    )
)

# %%
# What each way left on disk
# --------------------------
# ``compare`` ran every writer three times, each into a fresh folder of its own. One folder of
# each: the same trips every time, in one file or in one file per partition. Files of one
# partition each are what the next program can read in parallel again.
written = {}
for name, prefix in [
    ("compute().to_csv()", "pandas"),
    ('to_csv("trips-*.csv")', "parallel"),
    ("to_csv(single_file=True)", "single"),
    ("to_parquet(folder)", "parquet"),
]:
    folders = sorted(out.glob(f"{prefix}-*"))
    print(f"{name}: {len(folders)} folders, each holding")
    written[name] = (folders[0], list_files(folders[0]))

# %%
# Read back with a glob
# ---------------------
# ``read_csv`` takes a glob pattern as well as a list of files: ``*`` matches any characters.
# The partition files come back as one DataFrame, one partition per file, the same trips as
# January.
parallel_folder = written['to_csv("trips-*.csv")'][0]
january_again = dd.read_csv(parallel_folder / "trips-*.csv", **csv_options)
january_again_rows = len(january_again)
print(f"{january_again.npartitions} partitions, {january_again_rows:,} trips")

# %%
# Parquet: a column store with types
# ----------------------------------
# Parquet keeps each column together, compressed, with its type and, for every group of rows,
# the smallest and largest value of each column. To keep this page quick to run, four months
# (January to April) stand in for the year here; the code is the same for all twelve.
# Converting them costs one pass over their CSV files, paid once:
import time

months = files[:4]
parquet_folder = out / "trips-jan-apr.parquet"
start = time.perf_counter()
trips = dd.read_csv(months, **csv_options)
trips.to_parquet(parquet_folder, write_index=False)
print(f"{len(months)} CSV files in {time.perf_counter() - start:.1f} s")
parquet_bytes = list_files(parquet_folder)
csv_bytes = sum(path.stat().st_size for path in months)
print(f"CSV: {csv_bytes / 2**20:.1f} MiB")
print(f"Parquet: {parquet_bytes / 2**20:.1f} MiB, {csv_bytes / parquet_bytes:.1f}× smaller")

# %%
# The types travel with the data: no ``dtype=`` or ``parse_dates=`` to read it back, and no
# guessing from the first rows (the trap of lesson 2 cannot happen).
dd.read_parquet(parquet_folder).dtypes

# %%
# One question, three ways to read
# --------------------------------
# What is the mean trip duration of subscribers in spring (March and April)? From CSV, Dask
# must read every file and turn all of its text into values before it can drop the rows it does
# not need. From Parquet, ``columns=`` reads only the columns asked for, and ``filters=`` lets
# the reader skip every file and row group whose smallest and largest start times lie outside
# spring, then drops the remaining rows that do not match.
import pandas as pd

spring = (pd.Timestamp("2019-03-01"), pd.Timestamp("2019-05-01"))


def spring_subscribers(trips):
    keep = (trips["usertype"] == "Subscriber") & (trips["tripduration"] > 0)
    keep &= (trips["starttime"] >= spring[0]) & (trips["starttime"] < spring[1])
    return trips[keep]


def csv_then_filter():
    trips = dd.read_csv(months, **csv_options)
    return spring_subscribers(trips)["tripduration"].mean().compute() / 60


def parquet_then_filter():
    trips = dd.read_parquet(parquet_folder)
    return spring_subscribers(trips)["tripduration"].mean().compute() / 60


# %%
# With ``filters=``, the conditions are a list of ``(column, operator, value)`` tuples, all of
# which must hold. Fewer partitions come back: only the spring files had row groups to read.
spring_filters = [
    ("usertype", "==", "Subscriber"),
    ("tripduration", ">", 0),
    ("starttime", ">=", spring[0]),
    ("starttime", "<", spring[1]),
]


def parquet_columns_and_filters():
    trips = dd.read_parquet(
        parquet_folder, columns=["tripduration"], filters=spring_filters
    )
    return trips["tripduration"].mean().compute() / 60


everything = dd.read_parquet(parquet_folder)
filtered = dd.read_parquet(parquet_folder, filters=spring_filters)
partitions_all, partitions_filtered = everything.npartitions, filtered.npartitions
print(f"{partitions_all} partitions, {partitions_filtered} with filters")

# %%
# Which columns the read produces, once Dask has optimised the question (the steps of a plan
# that depend on no other step are its reads):


def read_columns(question):
    steps = question.optimize(fuse=False).expr.walk()
    return sorted({column for step in steps if not step.dependencies() for column in step.columns})


spring_csv_question = spring_subscribers(dd.read_csv(months, **csv_options))["tripduration"].mean()
spring_parquet_question = spring_subscribers(dd.read_parquet(parquet_folder))["tripduration"].mean()
columns_read = {"CSV": read_columns(spring_csv_question),
                "Parquet": read_columns(spring_parquet_question)}
for name, reads in columns_read.items():
    print(f"{name} read step produces: {', '.join(reads)}")

# %%
# All three give the same answer, in minutes:
spring_minutes = {
    "CSV": csv_then_filter(),
    "Parquet": parquet_then_filter(),
    "Parquet, columns= and filters=": parquet_columns_and_filters(),
}
for name, minutes in spring_minutes.items():
    print(f"{name}: {minutes:.6f}")

# %%
# And they take the times below. Each has just run once, so ``compare`` needs no warm-up run of
# its own here (``warmup=0``), which saves reading the CSV files once more.
read_timings = compare(
    {
        "read_csv, then filter": csv_then_filter,
        "read_parquet, then filter": parquet_then_filter,
        "read_parquet(columns=, filters=)": parquet_columns_and_filters,
    },
    warmup=0,
)
read_timings

# %%
# Dask's optimiser works out which columns the question uses (here ``usertype``,
# ``tripduration`` and ``starttime``) and narrows the read step to them, for both formats, as
# printed above, but what the reader then does differs. ``read_parquet`` hands the column list to the Parquet
# reader, which reads those columns and nothing else. A CSV file stores rows, so every byte of
# every line must be read and split into fields anyway; and Dask 2026.8's ``read_csv`` does not
# even pass the column list on to pandas, which converts all fifteen columns, both dates
# included, before Dask drops the others (``usecols=`` would spare that conversion, never the
# reading: :ref:`lesson 5.2 <sphx_glr_lessons_05_task_graphs_plot_02_optimized_graphs.py>`
# measures it). ``filters=`` is not applied for you: it is what let Parquet skip the months
# that are not spring.
for name in ["read_parquet, then filter", "read_parquet(columns=, filters=)"]:
    print(
        read_timings.verdict(
            name,
            "read_csv, then filter",
            otherwise="Parquet's reader has a fixed cost per file and per column; for a few small "
            "files on a busy machine, that can outweigh parsing the text.",
        )
    )

# %%
# CSV files can be chosen by name
# -------------------------------
# Trip files named by month let a glob do by hand what ``filters=`` did from inside the data:
# ``20190[34]-*.csv`` matches March and April. (Dask expands a pattern only when it contains a
# ``*``; ``?`` and ``[34]`` then work as in the shell.) ``include_path_column`` adds the file
# each row came from, worth having when a result looks odd.
spring_glob = files[0].parent / "20190[34]-*.csv"
spring_csv = dd.read_csv(spring_glob, include_path_column="file", **csv_options)
per_file = spring_subscribers(spring_csv).groupby("file")["tripduration"]
spring_by_file = per_file.agg(["count", "mean"]).compute()
spring_by_file.rename(index=lambda path: Path(path).name)

# %%
# Which format for which job
# --------------------------
#
# ============  ==========================================  =========================================
# Format        Fits                                        Costs
# ============  ==========================================  =========================================
# CSV           exchanging data with any program or         slow to parse; large; types guessed on
#               person; small files; a look in an editor    reading; whole rows read every time
# Parquet       large tables you query again and again;     not human-readable; written whole, not
#               reading a few columns or a range of rows    appended row by row
# JSON lines    records with nested or varying fields,      slower and larger than CSV
#               read with ``dask.bag``
# Zarr, HDF5    large n-dimensional arrays for              not for tables of mixed types
#               ``dask.array``
# ============  ==========================================  =========================================
#
# A common pattern: receive CSV, convert it to Parquet once (one file per partition), then
# analyse the Parquet copy as often as needed.

# %%
# Key points
# ----------
# - ``df.compute().to_csv(...)`` pulls every partition into one process's memory and writes from
#   there: only for results that fit comfortably.
# - ``df.to_csv("out-*.csv")`` writes one file per partition, in parallel; ``single_file=True``
#   writes one file, one partition after the other. Neither gathers the partitions in one place:
#   each task writes the partition it holds.
# - ``read_csv`` and ``read_parquet`` take lists and glob patterns: many files, one DataFrame.
# - Parquet stores types, compresses, and reads only the columns a question uses; ``filters=``
#   skips files and row groups whose statistics rule them out. A CSV file is read and split
#   whole, whatever columns you select. The tables above measured what that saves against CSV
#   for the same question.
#
# Exercise
# --------
# Using the Parquet copy, find the five start stations with the most customer (not subscriber)
# trips in April. Read only the column you need, and let ``filters=`` pick the rows. Keep the
# question before ``compute()`` as ``plan``; put the computed result in ``answer`` (a pandas
# Series of customer trips, indexed by station name, five stations) and run the check below with
# ``plan=plan``: it compares with pandas on the CSV files the Parquet copy was made from, looks at
# which columns your plan's read step produces and whether it has ``filters=``, and says what is
# wrong, without giving the answer away.
plan = None  # your question before compute(), a Dask Series: replace None
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("csv_and_parquet", answer, plan=plan)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       april_customers = dd.read_parquet(
#           parquet_folder,
#           columns=["start station name"],
#           filters=[
#               ("usertype", "==", "Customer"),
#               ("starttime", ">=", pd.Timestamp("2019-04-01")),
#               ("starttime", "<", pd.Timestamp("2019-05-01")),
#           ],
#       )
#       stations = april_customers["start station name"]
#       plan = stations.value_counts().nlargest(5)
#       answer = plan.compute()
#       print(answer)
#       check("csv_and_parquet", answer, plan=plan)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker and frees the trips it still holds; the
# temporary folder goes when Python exits (or at once with ``workdir.cleanup()``).
client.close()
cluster.close()
