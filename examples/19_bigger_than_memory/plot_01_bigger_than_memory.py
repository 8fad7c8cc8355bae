"""
A DataFrame bigger than the cluster's memory
============================================

Dask promises that the code you try on a sample runs unchanged on data that does not fit in
memory. Put that to the test: give a deliberately small cluster a year of trips more than twice
the size of its total memory limit, run a real analysis on it (a filter, a group-by and an exact
median per station, which needs a shuffle), watch the workers spill to disk and stay under their
limits, then run the same analysis in pandas under the same memory budget.

**You will be able to:** measure how much memory a Dask DataFrame would take, explain why a
streaming analysis and a shuffle complete on data bigger than the cluster while ``persist()``
spills, read a cluster's memory over time, and push pandas further with column selection,
compact dtypes and Parquet.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **Before class:** The first run writes twelve times the course's data (2.9 GB of CSV,
#      3.6 GB with the JSON lines and a Parquet copy): the lesson took 2 min 52 s the first time
#      on a quiet 2-core machine, 34 s after that. On a shared system run this
#      lesson once as the instructor, or demonstrate it rather than have every learner write
#      their own copy.
#    - **What usually goes wrong:** Learners read the size of the files as the size of the data.
#      Point at the line that compares the two before the cluster does any work.
#    - **Do not skip:** The pandas run under the same budget; it is the reason to use Dask here,
#      more than speed.
#    - **Ask the room:** Why does the analysis complete while ``persist()`` has to spill?

# %%
# A small cluster, on purpose
# ---------------------------
# One worker process with two threads and a :term:`memory limit` of 1 GiB: the limit, not the
# data, sets the scale of this lesson. Every worker process pays for itself first: about 200 MiB
# for Python, pandas, Arrow and Dask when idle, some 300 MiB once it has read a few partitions.
# So on a small budget, one worker with two threads leaves more room for data than two workers
# with one thread each. Smaller budgets were tried first: two workers of 448 MiB, which the
# shuffle below pushed past 95 % of their limit (their nannies restarted them, and after four
# deaths Dask gave up with ``KilledWorker``); one of 768 MiB, which after one heavy step kept
# some 620 MiB of :term:`unmanaged memory <managed memory>` (freed by pandas and Arrow but not
# given back to the operating system), paused at 80 % and never resumed; and one of 896 MiB,
# which finished but paused and resumed eight times in one run.
# The worker spills into ``local_directory``, a temporary folder removed at the end. The lesson
# starts a worker process, so its code sits under ``if __name__ == "__main__":``, which is true
# in a notebook too.
import tempfile

from distributed import Client, LocalCluster, wait

worker_limit = 2**30  # bytes per worker: 1 GiB

if __name__ == "__main__":
    spill_folder = tempfile.TemporaryDirectory()
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=2, memory_limit=worker_limit,
        local_directory=spill_folder.name, host="127.0.0.1", dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    cluster_limit = sum(worker["memory_limit"] for worker in workers.values())
    threads = sum(worker["nthreads"] for worker in workers.values())
    print(f"{len(workers)} worker, {threads} threads, {cluster_limit / 2**20:.0f} MiB memory limit")

# %%
# Twelve times the course's data, written once
# --------------------------------------------
# ``bikes.generate`` writes a larger synthetic year next to the course's data; it checks the
# folder's ``manifest.json`` first, so only the first run pays for it (a few minutes), later runs
# reuse the files. The scale is twelve times that of the data the course uses on this machine.
import json

from tutorial_helpers import bikes

if __name__ == "__main__":
    default_dir = bikes.data_dir()
    bikes.trip_files()  # makes the course's data on first use
    scale = 12 * json.loads((default_dir / "manifest.json").read_text())["scale"]
    big_dir = default_dir.with_name(f"{default_dir.name}-scale-{scale:g}")
    big_files = bikes.generate(big_dir, scale=scale)
    csv_bytes = sum(path.stat().st_size for path in big_files)
    print(f"{len(big_files)} CSV files, {csv_bytes / 2**30:.2f} GiB on disk, in {big_dir.name}/")

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
# How big is it in memory?
# ------------------------
# Not the size of the files: text is larger than numbers, compression makes Parquet smaller than
# either. ``memory_usage(deep=True)`` asks each partition how many bytes its pandas DataFrame
# takes, strings included; summing those never holds more than a few partitions at once.
# ``MemorySampler`` records the workers' memory (all of them together) while each step runs.
from distributed.diagnostics import MemorySampler

if __name__ == "__main__":
    trips = dd.read_parquet(parquet_dir)
    sampler = MemorySampler()
    with sampler.sample("measure the size", interval=0.2):
        in_memory = int(trips.memory_usage(deep=True).sum().compute())
    ratio = in_memory / cluster_limit
    print(f"{len(trips):,} trips in {trips.npartitions} partitions")
    print(f"data in memory: {in_memory / 2**30:.2f} GiB = {ratio:.1f} × the cluster's memory limit")

# %%
# Spilling: persist more than fits
# --------------------------------
# First the habit to be careful with. ``persist()`` asks the workers to *keep* a result in
# memory, here four columns of the clean trips (trips with a positive duration and an end
# station). That is more than the worker may hold, so past 60 % of its limit it moves the least
# recently used partitions to disk, into its spill folder: it :term:`spills <spill>`.
# ``client.run`` asks each worker what it holds.


def held(dask_worker):
    return {"in memory (MiB)": round(dask_worker.data.fast.total_weight / 2**20),
            "on disk (MiB)": round(dask_worker.data.spilled_total.memory / 2**20),
            "partitions": len(dask_worker.data)}


if __name__ == "__main__":
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    kept = clean[["starttime", "start station name", "end station name", "tripduration"]]
    with sampler.sample("persist", interval=0.2):
        kept = kept.persist()
        wait(kept)
    spilled = client.run(held)
    for number, (address, report) in enumerate(sorted(spilled.items())):
        print(f"worker {number}: {report}")

# %%
# Spilled data still answers questions; each partition on disk is read back when a task needs
# it. Trips per hour of the day, from the persisted trips; then let them go:
if __name__ == "__main__":
    with sampler.sample("query the persisted data", interval=0.2):
        per_hour = kept["starttime"].dt.hour.value_counts(split_out=1).compute().sort_index()
    print(f"busiest hour: {int(per_hour.idxmax())}h, {int(per_hour.max()):,} trips")
    del kept

# %%
# The analysis: filter, group-by, and a shuffle
# ---------------------------------------------
# Now without keeping anything: per start station the number of trips and their mean duration (a
# tree of partial sums: each partition shrinks to one row per station at once), and the exact
# median duration. A median cannot be combined from partial medians: all trips of a station must
# meet in one partition, so Dask :term:`shuffles <shuffle>` the two columns it needs into new
# partitions, through the workers' disks (a peer-to-peer shuffle; with several workers, between
# them). ``dask.compute`` answers both in one pass over the files, reading only the columns they
# use.
import dask

if __name__ == "__main__":
    by_station = clean.groupby("start station name")["tripduration"]
    with sampler.sample("analysis", interval=0.2):
        station_stats, station_median = dask.compute(by_station.agg(["count", "mean"]), by_station.median())
    station_stats["median"] = station_median
    print(station_stats.sort_values("count", ascending=False).head(3).round(1).to_string())

# %%
# What the workers held
# ---------------------
# The four steps, one after the other, with the cluster's limit drawn across. The memory is that
# of the worker processes as the operating system sees it, Python and libraries included; a
# worker's nanny restarts it at 95 % of its limit, so a worker that got there would have a new
# address: the last line compares them with those at the start. Run in a terminal or a notebook,
# the steps above also log warnings such as ``Worker is at 80% memory usage. Pausing worker``
# followed by ``Resuming worker``: at 80 % a worker stops starting tasks until spilling brings it
# back down, then carries on.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    memory = sampler.to_pandas(align=True) / 2**30
    memory.index = memory.index.total_seconds()
    ax = memory.plot(figsize=(8, 3.5), xlabel="seconds since the step started", ylabel="GiB")
    ax.axhline(cluster_limit / 2**30, color="black", ls="--", label="the cluster's limit")
    ax.axhline(in_memory / 2**30, color="tab:gray", ls=":", label="the data in memory")
    ax.set_ylim(0, in_memory / 2**30 * 1.1)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title("Memory of the cluster's workers, per step")
    plt.tight_layout()
    restarted = set(workers) - set(client.scheduler_info(n_workers=-1)["workers"])
    peak = memory.max().max() * 2**30
    print(f"peak: {peak / 2**30:.2f} GiB = {peak / cluster_limit:.0%} of the limit; "
          f"workers restarted: {len(restarted)}")

# %%
# pandas under the same budget
# ----------------------------
# pandas holds a whole DataFrame in one process. To give it the cluster's memory, run it in a
# child process whose address space is capped with ``resource.setrlimit`` (Linux; macOS does not
# enforce ``RLIMIT_AS``, Windows has no ``resource``). The cap counts address space that
# libraries reserve up front, not only what they fill, so the child first reads one column once
# (pandas and Arrow set up their thread pools), then allows the budget on top of that.
import subprocess
import sys

LIMIT = """
import resource, sys
from pathlib import Path
import pandas as pd, psutil
folder, budget = sys.argv[1], int(sys.argv[2])
pd.read_parquet(sorted(Path(folder).glob("*.parquet"))[0], columns=["bikeid"])
start = psutil.Process().memory_info()
reserved = start.vms
resource.setrlimit(resource.RLIMIT_AS, (reserved + budget, resource.RLIM_INFINITY))
"""

READ_ALL = """
try:
    trips = pd.read_parquet(folder)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    print("finished:", len(clean.groupby("start station name")["tripduration"].median()), "stations")
except MemoryError as error:
    print(f"{type(error).__name__} (a MemoryError: {isinstance(error, MemoryError)}): {error}")
"""

if __name__ == "__main__":
    budget = str(cluster_limit)
    run = subprocess.run([sys.executable, "-c", LIMIT + READ_ALL, str(parquet_dir), budget],
                         capture_output=True, text=True)
    print(run.stdout.strip() or run.stderr.strip().splitlines()[-1])

# %%
# ``read_parquet`` builds the whole table, all fifteen columns, before the first filter runs:
# the size measured above, against this budget. When that does not fit in one process, this
# pandas code has no next step; Dask splits the same work into partitions that each fit.
#
# How far pandas can be pushed
# ----------------------------
# pandas can go a long way by loading less, one Parquet file at a time: only the three columns
# the analysis uses (Parquet reads just those), the dirty rows dropped at once, the station name
# as a ``category`` (each name stored once, one small integer per trip) and the duration as
# ``int32``. ``union_categoricals`` glues the pieces' categories together. The child prints what
# its resident memory grew by, against the same budget: the peak, ``VmHWM`` in Linux's
# ``/proc/self/status``, less the memory at the start. (Not ``resource.getrusage``'s
# ``ru_maxrss``: a process started with ``subprocess`` inherits its parent's figure there.)
READ_LESS = """
from pandas.api.types import union_categoricals
names, durations = [], []
for path in sorted(Path(folder).glob("*.parquet")):
    part = pd.read_parquet(path, columns=["start station name", "tripduration", "end station id"])
    part = part[(part["tripduration"] > 0) & part["end station id"].notna()]
    names.append(part["start station name"].astype("category"))
    durations.append(part["tripduration"].astype("int32"))
clean = pd.DataFrame({"station": union_categoricals(names), "tripduration": pd.concat(durations, ignore_index=True)})
clean.groupby("station", observed=True)["tripduration"].median().to_csv(sys.argv[3])
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 2**10
growth = peak - start.rss
print(f"in memory: {clean.memory_usage(deep=True).sum() / 2**20:.0f} MiB; the process grew by "
      f"{growth / 2**20:.0f} MiB at most, budget {budget / 2**20:.0f} MiB")
"""

import pandas as pd

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        answer = f"{folder}/median.csv"
        run = subprocess.run([sys.executable, "-c", LIMIT + READ_LESS, str(parquet_dir), budget, answer],
                             capture_output=True, text=True)
        print(run.stdout.strip() or run.stderr.strip().splitlines()[-1])
        pandas_median = pd.read_csv(answer, index_col=0).iloc[:, 0]
    same = (pandas_median.sort_index() == station_median.sort_index()).all()
    print(f"same medians as Dask for all {len(pandas_median)} stations: {same}")

# %%
# The cap limits address space, not resident memory, so the growth printed is the figure to
# compare with the budget. Loading less is the right first move on a laptop. Its limit is the
# columns themselves:
# a question that needs the station names as text, the times or all columns at once (a join,
# sorting by time) brings the whole table back, and the data keeps growing; Dask's version
# needs no change. The :ref:`scaling study <sphx_glr_lessons_19_bigger_than_memory_plot_02_scaling_study.py>`
# measures how time and memory grow with the data for both.
#
# Close what you started
# ----------------------
# Closing the cluster removes the spill files; the temporary folder goes too. The Parquet copy
# and the larger data stay for the next run.
if __name__ == "__main__":
    client.close()
    cluster.close()
    spill_folder.cleanup()

# %%
# Key points
# ----------
# - Measure the data in memory (``memory_usage(deep=True)``), not its files: CSV is larger and
#   Parquet smaller than the DataFrame they hold.
# - Filters, group-by aggregations and even a shuffle complete on data bigger than the cluster:
#   each task holds a few partitions, the shuffle goes through disk.
# - ``persist()`` of more than fits spills to disk: it completes, but every later read of a
#   spilled partition costs a disk read. Persist what fits and what you reuse.
# - pandas needs the whole table in one process. Select columns, use compact dtypes and Parquet
#   to go further; when that is not enough, the same code in Dask is.
#
# Exercise
# --------
# Which stations have the longest median trip *to* them? Compute the median duration per *end*
# station with Dask on threads (the cluster is closed): a second shuffle, on this machine's
# memory. Put the five longest medians, in seconds, in ``answer`` (a pandas Series indexed by end
# station name, as ``nlargest(5)`` gives it) and run the check below: it computes the same with
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
#           trips = dd.read_parquet(parquet_dir)
#           clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#           to_station = clean.groupby("end station name")["tripduration"].median()
#           longest = to_station.compute(scheduler="threads").nlargest(5)
#           print((longest / 60).round(1))
#           busiest = station_stats["count"].idxmax()
#           print(f"{busiest} in the top 5: {busiest in longest.index}")
#           answer = longest
#           check("bigger_than_memory", answer, parquet_dir=parquet_dir)
