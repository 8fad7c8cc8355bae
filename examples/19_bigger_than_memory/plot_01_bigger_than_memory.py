"""
A DataFrame bigger than the memory it gets
==========================================

Dask promises that the code you try on a sample runs unchanged on data that does not fit in
memory. Put that to the test honestly: give the analysis a memory budget, measure how much memory
the columns it reads take, run it (a filter, a group-by and an exact median per station, which
needs a shuffle) while watching every process of the lesson, then give pandas the same columns
and the same budget.

**You will be able to:** measure how much memory the columns an analysis reads take, measure the
peak memory of a whole process tree (your Python process and the cluster's workers), read what a
worker's ``memory_limit`` does and does not do, and tell whether pandas fits the same budget.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **Before class:** The first run writes sixteen times the course's data (CSV, a few JSON
#      lines files, then a Parquet copy; ``bikes.expected_bytes(scale)`` estimates the first two
#      before you start), which takes several minutes; later runs reuse it. On a shared system
#      run this lesson once as the instructor, or demonstrate it rather than have every learner
#      write their own copy.
#    - **What usually goes wrong:** Learners compare the size of the files, or of the whole table,
#      with the memory. Only the columns the analysis reads count: point at the line that
#      measures them before the cluster does any work.
#    - **Do not skip:** The pandas run with the same columns under the same budget, measured the
#      same way.
#    - **Ask the room:** The worker's ``memory_limit`` is 1 GiB; why is the budget smaller, and who
#      enforces which?

# %%
# A small cluster, and a budget
# -----------------------------
# One worker process with one thread, so that it works on one partition at a time, and a
# :term:`memory limit` of 1 GiB. That limit counts the whole worker process, Python and its
# libraries included; it is a *policy*, read from Dask's configuration as fractions of the limit,
# not a ceiling the operating system enforces. The worker
# spills into ``local_directory``, a temporary folder removed at the end. The lesson starts a
# worker process, so its code sits under ``if __name__ == "__main__":``, which is true in a
# notebook too.
import tempfile

import dask
from distributed import Client, LocalCluster

worker_limit = 2**30  # bytes per worker: 1 GiB

if __name__ == "__main__":
    spill_folder = tempfile.TemporaryDirectory()
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, memory_limit=worker_limit,
        local_directory=spill_folder.name, host="127.0.0.1", dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threads = sum(worker["nthreads"] for worker in workers.values())
    cluster_limit = sum(worker["memory_limit"] for worker in workers.values())
    print(f"{len(workers)} worker, {threads} thread, {cluster_limit / 2**20:.0f} MiB memory limit")
    policy = {name: dask.config.get(f"distributed.worker.memory.{name}")
              for name in ("target", "spill", "pause", "terminate")}
    for name, fraction in policy.items():
        print(f"  {name:>9}: {fraction:.0%} of the limit = {fraction * cluster_limit / 2**20:.0f} MiB")
    print(f"memory checked every {dask.config.get('distributed.worker.memory.monitor-interval')}")

# %%
# What the four fractions do (``distributed/distributed.yaml``): past ``target`` of the limit in
# *managed* memory (the results Dask keeps, as it counts them), the worker moves the least recently
# used ones to disk, it :term:`spills <spill>`; past ``spill`` in *process* memory (what the
# operating system counts), it spills until the process is back under ``target``; past ``pause``
# it starts no new task until memory falls again; past ``terminate`` its nanny kills and restarts
# it. None of this stops a task from allocating more between two checks: a policy, checked at the
# interval printed.
#
# So the lesson sets its own budget and measures it over *every* process it started: this Python
# process (client, scheduler and the worker's nanny) and all its child processes (the worker, and
# any helper process Python started). ``psutil`` reads each one's resident memory (RSS) ten times
# a second in a background thread; what the analysis needs is the peak of their sum less its level
# just before the analysis starts. The budget is what the analysis may add to them all: 512 MiB,
# half the worker's limit (which also counts the worker's own Python and libraries).
import threading
import time

import psutil

budget = 512 * 2**20  # bytes the analysis may add to the lesson's processes, all together


class TreeMemory:
    """Sample the resident memory of this process and all its children, summed, in a thread."""

    def __init__(self, interval=0.1):
        self.interval, self.samples, self.peaks = interval, [], {}  # peaks: each process's own, by pid

    def now(self):
        total = 0
        for process in [psutil.Process(), *psutil.Process().children(recursive=True)]:
            try:
                rss = process.memory_info().rss
            except psutil.NoSuchProcess:  # ended between listing and reading: holds nothing now
                continue
            total += rss
            self.peaks[process.pid] = max(rss, self.peaks.get(process.pid, 0))
        return total

    def _sample(self):
        while not self._done.is_set():
            self.samples.append((time.perf_counter() - self._start, self.now()))
            self._done.wait(self.interval)

    def __enter__(self):
        self._start, self._done = time.perf_counter(), threading.Event()
        self.samples.append((0.0, self.now()))  # the level before anything runs
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    @property
    def growth(self):
        """The peak of the sampled sums, less the first sample."""
        return max(rss for _, rss in self.samples) - self.samples[0][1]

# %%
# Sixteen times the course's data, written once
# ---------------------------------------------
# ``bikes.scaled(scale)`` returns the folder of a larger synthetic year beside the course's data
# and writes it on first use (a few minutes); later runs reuse the files. The scale is sixteen times
# that of the data the course uses on this machine.
from tutorial_helpers import bikes

if __name__ == "__main__":
    bikes.trip_files()  # makes the course's data on first use
    scale = 16 * bikes.info()["scale"]
    big_dir = bikes.scaled(scale)
    big_files = bikes.trip_files(big_dir)
    csv_bytes = sum(path.stat().st_size for path in big_files)
    print(f"{len(big_files)} CSV files, {csv_bytes / 2**30:.2f} GiB on disk, {bikes.info(big_dir)['trips']:,} trips")

# %%
# A Parquet copy, also once
# -------------------------
# Every pass over CSV parses text again. Parquet stores typed columns, compressed, and lets a
# reader load only the columns (and row groups) it needs: convert once, analyse many times. The
# conversion runs on the small cluster too, one 16 MB block of text at a time. It writes into a
# side folder and renames it when complete, so an interrupted run never leaves half a copy; a
# copy older than the CSVs is replaced.
import shutil

import dask.dataframe as dd

trip_dtypes = {"birth year": "float64", "end station id": "float64"}

if __name__ == "__main__":
    parquet_dir = big_dir / "parquet"
    manifest_time = (big_dir / "manifest.json").stat().st_mtime
    if parquet_dir.exists() and parquet_dir.stat().st_mtime < manifest_time:
        shutil.rmtree(parquet_dir)
    if not parquet_dir.exists():
        partial = big_dir / "parquet-partial"
        text = dd.read_csv(big_files, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"],
                           blocksize="16MB")
        text.to_parquet(partial, overwrite=True)
        partial.rename(parquet_dir)
    parquet_bytes = sum(path.stat().st_size for path in parquet_dir.glob("*.parquet"))
    print(f"Parquet copy: {parquet_bytes / 2**30:.2f} GiB on disk")

# %%
# How big is what the analysis reads?
# -----------------------------------
# The analysis needs three of the fifteen columns: the start station, the duration, and the end
# station id (to drop trips that never ended). Dask reads only those with ``columns=``, and pandas
# will get the same list. ``memory_usage(deep=True)`` asks each partition, on the worker, how many
# bytes its pandas DataFrame takes, strings included. Not the size of the files: compression
# makes Parquet smaller.
columns = ["start station name", "tripduration", "end station id"]

if __name__ == "__main__":
    slim = dd.read_parquet(parquet_dir, columns=columns)
    in_memory = int(slim.memory_usage(deep=True).sum().compute())
    ratio = in_memory / budget
    print(f"{len(slim):,} trips in {slim.npartitions} partitions, columns read: {list(slim.columns)}")
    print(f"those columns in memory: {in_memory / 2**20:.0f} MiB = {ratio:.2f} × the budget "
          f"of {budget / 2**20:.0f} MiB")

# %%
# Try it on a sample first
# ------------------------
# Per start station: the number of trips and their mean duration, and the exact median. For the
# count and the mean each partition shrinks at once to partial counts and sums, one row per
# station; Dask then combines those small rows, in a tree when the result is one partition, or by
# shuffling them by station when there are many partitions (``split_out``: by default, with one
# group-by key, one result partition for every 15 it reads). A median cannot be combined from
# partial medians: all trips of a station must meet in one partition, so Dask
# :term:`shuffles <shuffle>` the two columns it needs into new partitions. ``dask.compute``
# answers both in one pass over the files. The same function runs on the first two partitions, a
# sample, and on everything. Its second line prints Dask's plan for everything: the optimiser
# joins small Parquet files into larger partitions, so it can read fewer partitions than files.
# The sample runs before anything is measured, so that whatever the worker sets up for its
# first shuffle is part of the level the measurement starts from.


def station_stats_of(trips):
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    by_station = clean.groupby("start station name")["tripduration"]
    return by_station.agg(["count", "mean"]), by_station.median()


if __name__ == "__main__":
    sample, _ = dask.compute(*station_stats_of(slim.partitions[:2]))
    print(f"sample: {int(sample['count'].sum()):,} trips at {len(sample)} stations")
    counts_partitions, median_partitions = (part.optimize().npartitions for part in station_stats_of(slim))
    print(f"all {slim.npartitions} files: count and mean combined into {counts_partitions} partition(s), "
          f"the medians in {median_partitions}")
    shuffle_method = dask.utils.get_default_shuffle_method()
    print(f"shuffle method with this client: {shuffle_method!r}; "
          f"P2P writes shards to disk: {dask.config.get('distributed.p2p.storage.disk')}")

# %%
# The analysis, measured over every process
# -----------------------------------------
# Now on all partitions, nothing kept. The worker's one thread runs one task at a time; the
# shuffles pass through the worker's disk (P2P ``storage.disk``); one row per station comes back
# to this process. ``TreeMemory`` watches this process and its children while it runs.
if __name__ == "__main__":
    with TreeMemory() as dask_memory:
        station_stats, station_median = dask.compute(*station_stats_of(slim))
    station_stats["median"] = station_median
    dask_fits = dask_memory.growth <= budget
    print(f"{int(station_stats['count'].sum()):,} clean trips, {len(station_stats)} stations; "
          f"processes measured: {len(dask_memory.peaks)}")
    reached = in_memory / dask_memory.growth
    print(f"the lesson's processes grew by {dask_memory.growth / 2**20:.0f} MiB at most: "
          f"{'within' if dask_fits else 'OVER'} the budget; the columns read are {reached:.2f} × what it used")
    print(station_stats.sort_values("count", ascending=False).head(3).round(1).to_string())

# %%
# And Dask's policy? The worker's own peak during the analysis (from the same samples), against
# the fractions of process memory above (``spill``, ``pause``, ``terminate``), and how many bytes
# the worker has written to its spill folder since it started, from its own counters
# (``dask_worker.data.cumulative_metrics``). A worker its nanny restarted would have a new
# address, so the last line compares them with those at the start.
import os


def spilled(dask_worker):
    return dask_worker.data.cumulative_metrics[("disk-write", "bytes")]


if __name__ == "__main__":
    worker_peak = sum(dask_memory.peaks[pid] for pid in client.run(os.getpid).values())
    reached_thresholds = [name for name in ("spill", "pause", "terminate")
                          if worker_peak >= policy[name] * cluster_limit]
    print(f"the worker's peak: {worker_peak / 2**20:.0f} MiB = {worker_peak / cluster_limit:.0%} of its limit; "
          f"process-memory thresholds reached: {reached_thresholds or 'none'}")
    spilled_bytes = sum(client.run(spilled).values())
    print(f"spilled to disk since the worker started: {spilled_bytes / 2**20:.0f} MiB")
    restarted = set(workers) - set(client.scheduler_info(n_workers=-1)["workers"])
    print(f"workers restarted: {len(restarted)}")

# %%
# Close the cluster
# -----------------
# Closing the cluster removes the spill files; the temporary folder goes too. The Parquet copy
# and the larger data stay for the next run. pandas runs next, alone.
if __name__ == "__main__":
    client.close()
    cluster.close()
    spill_folder.cleanup()

# %%
# pandas, same columns, same budget
# ---------------------------------
# pandas holds a whole DataFrame in one process. It gets the same three columns (Parquet reads
# only those) and the same analysis, in a child process measured the same way: the child first
# loads pandas and Arrow by reading one file, says it is ready, and waits; ``TreeMemory`` takes
# the level, then lets it run. Nothing caps it: it may use what it needs, and the measurement says
# whether that was within the budget.
import json
import subprocess
import sys

import pandas as pd

PANDAS = """
import json, sys
from pathlib import Path
import pandas as pd
folder, columns, answer = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
pd.read_parquet(sorted(folder.glob("*.parquet"))[0], columns=columns)  # load pandas and Arrow
print("ready", flush=True)
sys.stdin.readline()
trips = pd.read_parquet(folder, columns=columns)
clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
clean.groupby("start station name")["tripduration"].agg(["count", "mean", "median"]).to_parquet(answer)
"""

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        answer = f"{folder}/stats.parquet"
        child = subprocess.Popen([sys.executable, "-c", PANDAS, str(parquet_dir), json.dumps(columns), answer],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        with TreeMemory() as pandas_memory:
            child.stdin.write("go\n")
            child.stdin.close()
            child.wait()
        pandas_stats = pd.read_parquet(answer)
    pandas_median = pandas_stats["median"]
    pandas_fits = pandas_memory.growth <= budget
    print(f"pandas exited with {child.returncode}; it grew by {pandas_memory.growth / 2**20:.0f} MiB at most: "
          f"{'within' if pandas_fits else 'OVER'} the budget ({pandas_memory.growth / budget:.2f} × it)")
    same = pandas_median.sort_index().equals(station_median.sort_index())
    print(f"same medians as Dask for all {len(pandas_median)} stations: {same}")

# %%
# The two runs, side by side
# --------------------------
# What each run added to the lesson's processes, over time, with the budget drawn across.
# Sampling every 0.1 s can miss a shorter spike, so each peak is a lower bound of the true one.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, memory in [("Dask (client, scheduler, worker)", dask_memory), ("pandas", pandas_memory)]:
        seconds, rss = zip(*memory.samples)
        ax.plot(seconds, [(value - memory.samples[0][1]) / 2**20 for value in rss], label=name)
    ax.axhline(budget / 2**20, color="black", ls="--", label="the budget")
    ax.axhline(in_memory / 2**20, color="tab:gray", ls=":", label="the columns read, in memory")
    ax.set(xlabel="seconds since the run started", ylabel="MiB added",
           title="Memory the analysis added to the lesson's processes")
    ax.legend(loc="upper right", fontsize="small")
    plt.tight_layout()

# %%
# Why the difference: pandas builds the whole three-column table, then filtered copies, before it
# groups, all in one process. Dask's one thread works on one partition at a time and the shuffle
# passes through disk; what its processes add on top of that (the libraries' buffers, memory
# freed but kept for reuse: part of what Dask calls :term:`unmanaged memory <managed memory>`)
# is in the measurement too. Where the columns are smaller than that overhead (the test suite's
# tiny copy of the data), the ratios printed above say so: the promise is about data larger than the memory, and only a measurement
# at your scale tells you whether you are there. Ways to push pandas further (one file at a time,
# a ``category`` dtype for the station names) are worth measuring the same way; a question that
# needs more columns, or all the rows together, brings the whole table back. The
# :ref:`scaling study <sphx_glr_lessons_19_bigger_than_memory_plot_02_scaling_study.py>`
# measures how time and memory grow with the data for both.

# %%
# Key points
# ----------
# - Measure what the analysis reads: ``memory_usage(deep=True)`` of exactly its columns, not the
#   files (Parquet is compressed) and not the whole table.
# - A worker's ``memory_limit`` is a policy (spill, pause, restart at fractions of it, printed
#   from ``dask.config``), not a cap. To know what an analysis needs, measure the peak resident
#   memory of every process it uses, against their level just before.
# - A filter, a group-by and a P2P shuffle run as tasks, one at a time on one thread here, the
#   shuffle passing through disk; compare the processes' growth with the size of the columns.
# - Give pandas the same columns before concluding anything; the run above says whether they fit
#   the same budget.
#
# Exercise
# --------
# Which stations have the longest median trip *to* them? Compute the median duration per *end*
# station with Dask on threads (the cluster is closed, so Dask runs in this process). Put the
# five longest medians, in seconds, in ``answer`` (a pandas Series indexed by end station name,
# as ``nlargest(5)`` gives it) and run the check below: it computes the same with
# pandas from the Parquet copy and says what is off, without giving the answer away. Is the
# busiest start station among them?
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None

# %%
if __name__ == "__main__":
    from tutorial_helpers.exercises import check

    check("bigger_than_memory", answer, parquet_dir=parquet_dir)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       if __name__ == "__main__":
#           trips = dd.read_parquet(parquet_dir, columns=["end station name", "end station id", "tripduration"])
#           clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#           to_station = clean.groupby("end station name")["tripduration"].median()
#           longest = to_station.compute(scheduler="threads").nlargest(5)
#           print((longest / 60).round(1))
#           busiest = station_stats["count"].idxmax()
#           print(f"{busiest} in the top 5: {busiest in longest.index}")
#           answer = longest
#           check("bigger_than_memory", answer, parquet_dir=parquet_dir)
