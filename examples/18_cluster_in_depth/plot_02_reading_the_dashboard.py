"""
Reading the dashboard
=====================

When a computation on a cluster is slower than you hoped, the dashboard shows where the time
went: which tasks ran, how long workers sat idle, how much data moved between them, and what
fills their memory. This lesson records two contrasting workloads on the same two months of
trips with ``performance_report``, a map-reduce that keeps every partition on its worker and a
shuffle that sends rows between workers, and walks through what each panel says about them.

**You will be able to:** save the dashboard of a computation with ``performance_report``, read
its task stream (colours, white space, red transfers), its summary and its profiles, tell a
shuffle from a map-reduce at a glance, measure the same things from ``get_task_stream``, and
split a worker's memory into managed, unmanaged and spilled.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners look at the dashboard after the computation ended: open
#      it, or the report, while the work runs.
#    - **Do not skip:** White space in the task stream is idle time, red is data moving between
#      workers: the shuffle shows both.
#    - **Ask the room:** In the shuffle's report, which step took longest, and why?

# %%
# A cluster to watch
# ------------------
# A small cluster inside this Python process (``processes=False``): two workers, each running
# its tasks on one thread of its own, talking over TCP on this machine's loopback address,
# with its dashboard there too. Two workers, so that the shuffle below really sends rows from one
# worker to another. While the cluster runs, ``client.dashboard_link`` is the address of its
# live dashboard; the reports below save the same panels into files you can open after the
# cluster is gone. ``silence_logs`` quiets the cluster's routine messages while it runs.
import logging

import distributed

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = distributed.LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
    dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
)
client = distributed.Client(cluster)
n_workers = len(client.scheduler_info()["workers"])
print(f"{n_workers} workers, {sum(client.nthreads().values())} threads in all")

# %%
# What to measure besides the picture
# -----------------------------------
# A report is for your eyes. ``get_task_stream()`` records the same task stream as data: one
# record per task, with the times it spent computing, receiving its inputs from other workers
# (``transfer``) and reading or writing disk. This summary counts the tasks of each name and
# adds up their compute time, most first, then the time spent on other activities, and says
# how much of the wall time the threads that ran tasks spent computing: the rest is the white
# space in the task stream.
from collections import Counter

from dask.utils import key_split


def summarize(stream):
    tasks, computing, other = Counter(), Counter(), Counter()
    for record in stream.data:
        name = key_split(record["key"])
        tasks[name] += 1
        for step in record["startstops"]:
            seconds = step["stop"] - step["start"]
            if step["action"] == "compute":
                computing[name] += seconds
            else:
                other[step["action"]] += seconds
    for name, seconds in computing.most_common():
        print(f"{name:>20} × {tasks[name]:<3} computing {seconds:5.2f} s")
    print("other activity:", ", ".join(f"{a} {s:.2f} s" for a, s in other.items()) or "none")
    steps = [step for record in stream.data for step in record["startstops"]]
    wall = max(s["stop"] for s in steps) - min(s["start"] for s in steps)
    threads = len({(record["worker"], record["thread"]) for record in stream.data})
    busy = sum(computing.values()) / (wall * threads)
    print(f"busy computing {busy:.0%} of {wall:.1f} s on {threads} thread(s)")
    return tasks


# %%
# Workload 1: a map-reduce
# ------------------------
# Trips per starting hour of January and February. Each partition is read, parsed and
# counted on the worker that read it; only 24 counts per partition travel, to one small task
# that adds them up (``split_out=1`` keeps it a tree, see the shuffle lesson). ``blocksize``
# cuts each file into a few partitions, so that both workers have work from the start.
# ``performance_report`` writes ``map-reduce-report.html`` into the current folder; the page
# shows it under the code, and its link opens it full size.
import dask.dataframe as dd
from distributed import get_task_stream, performance_report
from tutorial_helpers import bikes

files = bikes.trip_files()[:2]
dtypes = {"end station id": "float64"}  # see the Dask DataFrame lesson
columns = ["tripduration", "starttime", "start station id", "end station id"]
read_options = dict(usecols=columns, dtype=dtypes, parse_dates=["starttime"], blocksize="4MB")

with (
    performance_report(filename="map-reduce-report.html", mode="inline"),
    get_task_stream() as stream,
):
    trips = dd.read_csv(files, **read_options)
    per_hour = trips["starttime"].dt.hour.value_counts(split_out=1).compute()
map_reduce_tasks = summarize(stream)

# %%
# The task stream, read left to right
# -----------------------------------
# Open the report's *Task Stream* tab. Each row is one thread of one worker; time runs to the
# right. Each bar is one task, coloured by its name: ``read-csv``, then the bars of the steps
# that select the column, take the hour and count, one chain per partition.
# Which names took the most time is in the summary above; with CSV files it is usually reading
# and parsing. **White space** is a thread with nothing to do:
# at the start while the scheduler hands out the first tasks, and at the end, when the last
# partitions and the single ``valuecounts-tree`` task run while the other thread waits. A
# **red** bar is a transfer: a worker fetching a task's input from another worker. In a
# map-reduce there are few and they are short, only the counts for the final sum.
#
# The *Summary* tab gives the duration, the number of tasks, and the total compute and
# transfer time. *Worker Profile (compute)* is a flame graph of where the workers' threads
# spent their time, sampled every few milliseconds, down to the functions inside pandas.
# *Bandwidth* shows how many bytes moved between which workers, and of which type.
#
# Workload 2: a shuffle
# ---------------------
# Now group the same trips by where they *end*: ``shuffle(on="end station id")`` puts all trips
# to each station into one output partition. Every input partition holds trips to every
# station, so each must send pieces of itself to every output partition: with a client, Dask's
# default shuffle method is peer-to-peer (P2P), where workers send rows straight to each
# other, and P2P stages the pieces on the workers' disks unless told otherwise:
import dask
from dask.utils import get_default_shuffle_method

shuffle_method = get_default_shuffle_method()
p2p_on_disk = dask.config.get("distributed.p2p.storage.disk")
print(f"shuffle method: {shuffle_method}; P2P pieces on disk: {p2p_on_disk}")

# %%
with (
    performance_report(filename="shuffle-report.html", mode="inline"),
    get_task_stream() as stream,
):
    trips = dd.read_csv(files, **read_options)
    rows_per_partition = trips.shuffle(on="end station id").map_partitions(len).compute()
shuffle_tasks = summarize(stream)

# %%
# What is new in the shuffle's report
# -----------------------------------
# The task names tell the story. After the same reading tasks come ``shuffle-transfer`` tasks:
# each cuts its partition by destination and hands the pieces to the shuffle machinery, which
# sends them to the workers that will own them. That traffic travels outside ordinary task
# inputs, so it does not show as red bars: it is part of the width of the ``shuffle-transfer``
# bars. By default P2P shuffles also stage their pieces on the workers' disks, so that a
# shuffle larger than memory still finishes. One
# ``shuffle-barrier`` task waits until every piece has been sent: nothing after it can start
# before the slowest input is done, which shows as white space before it when partitions
# take unequal time. Then ``p2pshuffle`` tasks assemble each output partition.
new_in_shuffle = sorted(set(shuffle_tasks) - set(map_reduce_tasks))
print("task names only the shuffle has:", new_in_shuffle)
print(f"{len(rows_per_partition)} output partitions, {int(rows_per_partition.sum()):,} trips")

# %%
# Worker memory: managed, unmanaged, spilled
# ------------------------------------------
# The live dashboard's *Cluster Memory* and *Memory by Worker* panels (not saved in a report)
# split each worker's memory three ways: **managed**, the results Dask holds and knows the size
# of; **unmanaged**, the rest of the worker process (Python itself, imported libraries, memory the
# allocator has not given back yet); and **spilled**, results moved to disk because memory ran
# short. The client can ask for the same numbers: ``has_what()`` lists the results each worker
# holds, ``nbytes()`` their sizes, and ``scheduler_info()`` each worker's process memory and
# spilled bytes as of its last heartbeat (so the split below is approximate). Keep the trips
# on the workers with ``persist()`` to see managed memory appear.
kept = trips.persist()
distributed.wait(kept)
held, sizes = client.has_what(), client.nbytes(summary=False)
workers = sorted(client.scheduler_info()["workers"].items(), key=lambda item: str(item[1]["name"]))
for number, (address, worker) in enumerate(workers, start=1):
    managed = sum(sizes.get(key, 0) for key in held.get(address, ()))
    process, spilled = worker["metrics"]["memory"], worker["metrics"]["spilled_bytes"]["disk"]
    print(f"worker {number}: managed {managed / 2**20:.1f} MiB, "
          f"unmanaged {(process - managed) / 2**20:.0f} MiB, spilled {spilled / 2**20:.0f} MiB")
managed_total = sum(sizes.get(key, 0) for keys in held.values() for key in keys)
print(f"managed in all: {managed_total / 2**20:.1f} MiB, the two months of trips")

# %%
# Managed memory is the data you kept. Unmanaged memory includes everything a worker process
# holds before it stores any result, Python with pandas and pyarrow loaded, usually a hundred
# megabytes or more: with small data it is most of the total. (Workers that are threads of one
# process, as in this lesson's cluster, each report the memory of that whole process.)
# When managed memory approaches a worker's limit, Dask spills to disk and, later, pauses the
# worker; a worker whose *unmanaged* memory grows without managed memory growing is usually a
# library holding memory, not your data.
#
# Release the kept trips; the cluster stays for the exercise, and closes at the end.
del kept

# %%
# Key points
# ----------
# - ``with performance_report(filename=..., mode="inline"):`` saves the dashboard of what runs
#   inside the block to one HTML file that opens offline.
# - In the task stream, each row is a worker thread; bars are tasks coloured by name, white
#   space is idle time, red bars are transfers of task inputs between workers.
# - A shuffle shows itself by its task names (``shuffle-transfer``, ``shuffle-barrier``,
#   ``p2pshuffle``), its traffic in the *Bandwidth* tabs and its disk steps.
# - ``get_task_stream()`` gives the task stream as data, to measure what the picture shows.
# - Worker memory is managed (results Dask holds), unmanaged (the rest of the process) and
#   spilled (results moved to disk).
#
# Exercise
# --------
# On the lesson's cluster, record a performance report ``sort-report.html`` and a task stream
# of sorting the two months' trips (``files``, read with ``read_options``) by ``tripduration``
# into 4 output partitions (``sort_values(..., npartitions=4)``) and counting the rows of each
# output partition. Which task names does the sort have that the map-reduce above does not? Put
# the row counts in ``answer`` (a pandas Series, one count per output partition), the sorted
# DataFrame, before ``compute()``, in ``by_duration`` and the recorded stream in
# ``sort_stream``, and run the check below: it compares the rows with pandas on the same
# files, looks for the sort in ``by_duration``'s plan and for a shuffle in the stream, and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
by_duration = None  # the sorted Dask DataFrame, before compute(): replace None
sort_stream = None  # the task stream recorded around the sort: replace None

# %%
from tutorial_helpers.exercises import check

check("reading_the_dashboard", answer, sorted_trips=by_duration, stream=sort_stream)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       with (
#           performance_report(filename="sort-report.html", mode="inline"),
#           get_task_stream() as sort_stream,
#       ):
#           trips = dd.read_csv(files, **read_options)
#           by_duration = trips.sort_values("tripduration", npartitions=4)
#           answer = by_duration.map_partitions(len).compute()
#       sort_only_tasks = sorted(set(summarize(sort_stream)) - set(map_reduce_tasks))
#       print(sort_only_tasks)
#       check("reading_the_dashboard", answer, sorted_trips=by_duration, stream=sort_stream)

# %%
# Close the cluster
# -----------------
# The exercise done, close the client and the cluster.
client.close()
cluster.close()
