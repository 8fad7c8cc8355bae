"""
Messy JSON with Dask Bag
========================

Not all data arrives as a tidy table. Here trips of the first three months come as JSON lines,
one nested record per trip, and a few lines are broken, as in any real feed. With
``dask.bag``, a parallel list of Python objects, parse every line safely, filter out the bad
records, flatten the good ones and hand them to Dask DataFrame to finish the analysis. On the
way, measure ``foldby`` against ``groupby``, learn why one should win, and see what a bag
cannot do.

**You will be able to:** read text files into a bag, clean and reshape records with ``map``
and ``filter``, turn a bag into a Dask DataFrame, aggregate with ``foldby`` rather than
``groupby``, and peek at a bag with ``take``.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners try ``bag[0]`` or a ``for`` loop over a bag; both
#      fail, as the lesson shows.
#    - **Do not skip:** Parse safely and filter bad records before ``to_dataframe``: real feeds
#      have broken lines.
#    - **Ask the room:** Which of your own data sets would start as a bag rather than a DataFrame?

# %%
# The JSON-lines files
# --------------------
# ``bikes.json_files()`` lists the feed: one file per month, one JSON record per line, for one
# trip in three of the CSV files of January to March.
from tutorial_helpers import bikes

files = bikes.json_files()
for path in files:
    print(f"{path.name}: {path.stat().st_size / 2**20:.1f} MiB")

# %%
# A bag of lines
# --------------
# ``db.read_text`` makes a bag whose elements are the lines of the files, one partition per
# file. Like every Dask collection it is lazy: nothing is read yet.
import dask.bag as db

lines = db.read_text(files)
lines

# %%
# Where bag tasks run: worker processes
# -------------------------------------
# Parsing text into dictionaries is pure-Python work, which holds Python's global interpreter
# lock (GIL): threads would take turns. So, without a cluster, bags run on Dask's
# multiprocessing scheduler, a pool of worker processes. A connected ``Client`` takes
# precedence: then the cluster's workers run them. For the same reason, the :term:`cluster`
# this lesson starts has worker *processes*, one per core this job may use, each with one
# thread (``processes=True``), every service on the loopback address. ``silence_logs`` hides
# the warning Dask logs each time a P2P shuffle (below) starts and ends.
#
# Worker processes are fresh Pythons: Dask starts them with ``"spawn"``, which is safe on
# every system and in programs that run threads (copying the running Python with ``"fork"``
# is not). A fresh Python started from a *script* first imports the script, running every line
# that is not under ``if __name__ == "__main__":``; a line there that starts a cluster or
# computes a bag would run again in every worker. So in this lesson, every line that starts or
# uses the cluster sits under that guard, and the definitions stay at the top level. Dask sends
# the functions that tasks call along with them: functions defined in the script or notebook
# itself are pickled by value, so the processes need not import them. In a notebook the guard
# is always true and changes nothing. (Run this lesson as a script and you will see its first
# outputs printed again by each worker, as it imports the script.)
import logging

import dask
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

if __name__ == "__main__":
    # Worker processes, one thread each: pure-Python work holds the GIL (see above).
    cluster = LocalCluster(
        n_workers=granted_cores(), threads_per_worker=1, processes=True,
        protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    print("a bag's own default:", lines.__dask_scheduler__.__module__)
    used = dask.base.get_scheduler(collections=[lines])
    print("what compute() uses here:", used.__module__, used.__qualname__)

# %%
# A first look with ``take``
# --------------------------
# ``take(n)`` runs the tasks of the first partition only, and returns its first ``n``
# elements, as a tuple: the cheap way to look at a bag. Here the first partition is the whole
# January file, but Dask reads its lines one after another as they are asked for, so
# ``take(1)`` stops after the first line (a function mapped over the bag runs on ``n``
# lines, not on the whole file). Each element is one line of text, a nested JSON record;
# ``pp`` prints it parsed, one field per line.
import json
from pprint import pp

if __name__ == "__main__":
    first_line = lines.take(1)[0]
    print(f"{type(first_line).__name__} of {len(first_line)} characters:")
    pp(json.loads(first_line), width=70)

# %%
# Parse safely
# ------------
# ``json.loads`` raises on a broken line, and one exception in one task stops the whole
# computation. So wrap it: ``parse`` returns ``None`` for a line that is not valid JSON, and
# ``map`` applies it to every line.


def parse(line):
    """One line's record as a dict, or None if it is not valid JSON."""
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


records = lines.map(parse)

# %%
# Here is the end of one of the broken lines, found with ``filter`` and ``take``. It stops in
# the middle of a record, and ``json.loads`` names the first thing it cannot accept there
# (often the newline that ends the line):
if __name__ == "__main__":
    broken = lines.filter(lambda line: parse(line) is None).take(1)[0]
    try:
        json.loads(broken)
    except json.JSONDecodeError as error:
        print(f"...{broken[-45:]!r}")
        print(f"JSONDecodeError: {error.msg}")

# %%
# What is wrong with the records?
# -------------------------------
# Valid JSON is not yet a usable trip: some records lack a key, some have
# ``"tripduration": "n/a"``. ``problem`` names what is wrong with a record, and
# ``frequencies`` counts each answer: a data-quality report in one pass over the files.
def problem(record):
    """Why a record is unusable, or "ok"."""
    if record is None:
        return "not valid JSON"
    for key in ("tripduration", "start", "user"):
        if key not in record:
            return f"no {key!r}"
    if not isinstance(record["tripduration"], int):
        return "tripduration is not a number"
    return "ok"


def is_ok(record):
    return problem(record) == "ok"


quality = records.map(problem).frequencies()
if __name__ == "__main__":
    quality.visualize()

# %%
# The graph above, read from the bottom: each file's lines are read, parsed, judged and
# counted on their own, then the three partial counts are combined.
if __name__ == "__main__":
    quality_counts = dict(quality.compute())
    total = sum(quality_counts.values())
    for label, count in sorted(quality_counts.items(), key=lambda item: -item[1]):
        print(f"{label:30} {count:>8,}  {count / total:7.2%}")

# %%
# Filter out the bad records, flatten the good ones
# -------------------------------------------------
# ``filter`` keeps the records that are ``is_ok``. Then ``map`` turns each nested
# record into a flat dictionary with proper Python types: a ``datetime`` for the start time,
# and ``nan`` rather than ``None`` for a missing number, as pandas has it. These are the
# columns of the table to come.
import math
from datetime import datetime


def flatten(record):
    """A trip as one flat row: the columns we need, with proper types."""
    end = record["end"] or {}
    birth_year = record["user"]["birth_year"]
    return {
        "starttime": datetime.fromisoformat(record["starttime"]),
        "tripduration": record["tripduration"],
        "start station name": record["start"]["name"],
        "end station id": float(end.get("id", math.nan)),
        "usertype": record["user"]["type"],
        "birth year": math.nan if birth_year is None else float(birth_year),
    }


trips = records.filter(is_ok).map(flatten)
if __name__ == "__main__":
    pp(trips.take(1)[0])

# %%
# From bag to DataFrame
# ---------------------
# ``to_dataframe`` turns each partition of flat dictionaries into a pandas DataFrame. Give it
# the columns and their types (``meta``): otherwise Dask runs part of the graph at once to
# look at the first record, and takes the types of every column from that one record.
meta = {
    "starttime": "datetime64[us]",
    "tripduration": "int64",
    "start station name": "str",
    "end station id": "float64",
    "usertype": "str",
    "birth year": "float64",
}
trips_df = trips.to_dataframe(meta=meta)
trips_df

# %%
# From here on, it is the Dask DataFrame code of the previous topic, starting with the same
# cleaning as in the pandas lesson: drop trips of zero or negative duration and trips with no
# end station. Then answer two questions in one pass: the mean trip in minutes per user type,
# and the busiest start stations.
clean = trips_df[trips_df["tripduration"] > 0].dropna(subset=["end station id"])
minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
trips_per_station = clean["start station name"].value_counts()
if __name__ == "__main__":
    minutes_by_usertype, trips_per_station = dask.compute(
        minutes_by_usertype, trips_per_station
    )
    print(minutes_by_usertype.round(1).to_string())
    print(trips_per_station.sort_values(ascending=False).head(5).to_string())

# %%
# Grouping inside a bag: ``groupby`` or ``foldby``?
# -------------------------------------------------
# A bag can group too. Say we want the total riding time of each user type. ``groupby``
# collects, for each key, the list of all its records, which means moving every record to the
# partition that owns its key (a :term:`shuffle`) and then summing each list. ``foldby`` folds each
# partition into one running total per key (``binop``), and then combines those small totals
# (``combine``): a reduction, like ``sum`` on an array.
import operator


def usertype(trip):
    return trip["usertype"]


def add_duration(total, trip):
    return total + trip["tripduration"]


def total_of_group(group):
    key, group_trips = group
    return key, sum(trip["tripduration"] for trip in group_trips)


def totals_by_groupby(trips):
    return trips.groupby(usertype).map(total_of_group)


def totals_by_foldby(trips):
    return trips.foldby(usertype, add_duration, 0, operator.add, 0)


# %%
# The graph of ``groupby``, drawn for the first two months (two partitions keep it readable)
# with ``optimize_graph=True``: as when it runs, each partition's chain of ``read_text``,
# ``map`` and ``filter`` steps is fused into one task, which leaves the structure in view.
# How a bag shuffles depends on where it runs: with a client, Dask's default shuffle method is
# P2P, which bags do not support, so a bag's ``groupby`` shuffles with tasks (without a client
# it shuffles through files on disk, and the graph looks different). Every partition is split
# by key (``shuffle-split``, ``shuffle-group``), and the pieces are exchanged between partitions
# (``shuffle-join``) before anything is summed.
from dask.utils import get_default_shuffle_method, key_split

two_months = db.read_text(files[:2]).map(parse).filter(is_ok).map(flatten)
if __name__ == "__main__":
    shuffle_method = get_default_shuffle_method()
    grouped = totals_by_groupby(two_months)
    groupby_steps = sorted({key_split(key) for key in grouped.__dask_graph__()})
    print("default shuffle method:", shuffle_method)
    print("groupby's shuffle steps:", ", ".join(s for s in groupby_steps if "shuffle" in s))
    grouped.visualize(optimize_graph=True)

# %%
# The graph of ``foldby``: each partition is reduced where it is; only one number per user type
# and partition travels to the final combine.
if __name__ == "__main__":
    totals_by_foldby(two_months).visualize(optimize_graph=True)

# %%
# Measured: groupby against foldby
# --------------------------------
# Each function builds its bag afresh from the January file alone, to keep the comparison
# quick, read in two partitions (``blocksize`` is in bytes) so that ``groupby`` has something
# to shuffle between them. Whatever the gap here, it grows with the data: ``groupby`` moves
# every record, ``foldby`` one total per key and partition.
from tutorial_helpers.timing import compare

half_of_january = files[0].stat().st_size // 2


def january_trips():
    january = db.read_text(files[:1], blocksize=half_of_january)
    return january.map(parse).filter(is_ok).map(flatten)


def with_groupby():
    return dict(totals_by_groupby(january_trips()).compute())


def with_foldby():
    return dict(totals_by_foldby(january_trips()).compute())


january_partitions = january_trips().npartitions
print(f"January in {january_partitions} partitions")
if __name__ == "__main__":
    bag_timings = compare(
        {"groupby, then sum each group": with_groupby, "foldby": with_foldby}
    )
    print(bag_timings)

# %%
# What the two medians say, and the totals ``foldby`` found for January, in seconds of riding
# time per user type:
if __name__ == "__main__":
    print(
        bag_timings.verdict(
            "foldby",
            "groupby, then sum each group",
            otherwise="With two partitions and two user types, the shuffle is small; noise on a "
            "busy machine can hide its cost, which grows with the data.",
        )
    )
    january_totals = with_foldby()
    print(january_totals)

# %%
# What a bag cannot do: indexing
# ------------------------------
# A bag is a parallel *list* without positions: its elements live in partitions that may not
# be computed yet, on other machines, so there is no "element 0" to fetch. Indexing raises a
# ``TypeError``; use ``take`` to look, ``filter`` to select.
try:
    trips[0]
except TypeError as error:
    index_error = f"{type(error).__name__}: {error}"
print(f"trips[0] -> {index_error}")

# %%
# ...and ``for`` loops over its elements
# --------------------------------------
# A ``for`` loop over a bag does run, but not like a loop over a list: it first *computes the
# whole bag* and brings every element into this Python process; then the loop body runs here,
# one element at a time, not in parallel. That is fine for a small result, such as
# January's broken lines, and runs out of memory for a big one. ``map`` runs where the bag's
# tasks run instead, on the cluster's worker processes: the process ids show the difference.
import os

january_lines = db.read_text(files[:1])
broken_lines = january_lines.filter(lambda line: parse(line) is None)
if __name__ == "__main__":
    loop_pids = set()
    for line in broken_lines:  # as if: for line in broken_lines.compute()
        loop_pids.add(os.getpid())
    map_pids = set(broken_lines.map(lambda line: os.getpid()).distinct().compute())
    print(f"the loop body ran in this process only: {loop_pids == {os.getpid()}}")
    print(f"map ran in {len(map_pids)} process(es), this one among them: {os.getpid() in map_pids}")

# %%
# Key points
# ----------
# - A bag is a parallel list of Python objects, split into partitions (here one per file):
#   the tool for data that is not a table yet, such as JSON records or log lines.
# - ``map`` and ``filter`` apply plain Python functions to every element. Make them safe: one
#   exception in one element stops the computation, so return ``None`` and filter it out.
# - ``to_dataframe(meta=...)`` hands clean, flat records to Dask DataFrame, which is faster for
#   everything after.
# - ``foldby`` reduces each partition first and combines small results; ``groupby`` shuffles
#   every record. Use ``foldby`` (or ``frequencies``) when you need one value per key.
# - No indexing and no parallel ``for`` loops: look with ``take``, select with ``filter``.
# - Bags run on processes (without a cluster) or on a cluster's workers; pure-Python work holds
#   the GIL, so give them worker processes. In a script, put the lines that start the cluster
#   or compute under ``if __name__ == "__main__":``.

# %%
# Exercise
# --------
# Using ``foldby`` on ``trips``, compute the mean trip duration in minutes of each user type,
# keeping only the trips the DataFrame kept (positive duration, an end station). It should
# match ``minutes_by_usertype``. Hint: fold into a ``(seconds, count)`` pair. Put the means in
# ``answer`` (a ``dict`` from user type to minutes) and the bag ``foldby`` returned in
# ``folded``, then run the check below: it compares with a reference computed with plain
# Python's ``json`` from the same files, looks at how ``folded`` groups, and says what is
# wrong, without giving the answer away. The lines that compute stay under
# ``if __name__ == "__main__":``.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    folded = None  # the bag foldby returned, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("bag_json", answer, bag=folded)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def add_trip(total, trip):
#           return total[0] + trip["tripduration"], total[1] + 1
#
#
#       def add_totals(a, b):
#           return a[0] + b[0], a[1] + b[1]
#
#
#       def kept(trip):
#           return trip["tripduration"] > 0 and not math.isnan(trip["end station id"])
#
#
#       kept_trips = trips.filter(kept)
#       totals = kept_trips.foldby(usertype, add_trip, (0, 0), add_totals, (0, 0))
#       if __name__ == "__main__":  # in a script: worker processes re-import it
#           foldby_minutes = {user: s / n / 60 for user, (s, n) in totals.compute()}
#           print(foldby_minutes)
#           answer = foldby_minutes
#           check("bag_json", answer, bag=totals)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker processes.
if __name__ == "__main__":
    client.close()
    cluster.close()
