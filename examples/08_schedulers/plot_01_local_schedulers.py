"""
Schedulers on one machine: synchronous, threads, processes
==========================================================

The same Dask graph can run three ways on one machine: one task at a time in your own thread
(``"synchronous"``), on a pool of threads (``"threads"``), or on a pool of worker processes
(``"processes"``). Use the first to debug a failing function, then measure the other two on
pandas work and on pure-Python work, and size the pools to the cores your job was granted.

**You will be able to:** pick a scheduler for one call or one block of code, debug a failing
task with the synchronous scheduler, predict from the kind of work whether threads or
processes will be faster, and set the number of workers from the cores a batch job actually
has.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** In a script, the ``processes`` scheduler needs the ``if
#      __name__ == "__main__":`` guard; learners hit it when they copy the code out of the
#      notebook.
#    - **Do not skip:** The synchronous scheduler is for debugging: a failing task stops in your
#      own thread, where a debugger can reach it.
#    - **Ask the room:** Your function spends its time in pure Python loops: threads or processes,
#      and why?

# %%
# Which scheduler runs now?
# -------------------------
# This lesson is about the schedulers that need no cluster, so it starts none: no
# ``dask.distributed`` client exists, and ``dask.config`` names no scheduler. Each collection
# then uses its own default, threads for DataFrame and Array, processes for Bag, as
# ``dask.base.get_scheduler`` shows (the function that would run each collection's graph):
import dask
import dask.array as da
import dask.bag as db
import dask.dataframe as dd
import pandas as pd

configured_scheduler = dask.config.get("scheduler", None)
print("scheduler set in dask.config:", configured_scheduler)
defaults = {}
for kind, collection in [
    ("DataFrame", dd.from_pandas(pd.DataFrame({"x": [1, 2]}), npartitions=1)),
    ("Array", da.ones(2)),
    ("Bag", db.from_sequence([1, 2])),
]:
    run = dask.base.get_scheduler(collections=[collection])
    defaults[kind] = f"{run.__module__}.{run.__name__}"
    print(f"{kind:>9}: {defaults[kind]}")

# %%
# This lesson chooses a local scheduler explicitly every time: ``x.compute(scheduler=...)`` for
# one call, or ``with dask.config.set(scheduler=...):`` for a block. Both apply only there, so
# nothing leaks into later code, and both take precedence over any default, a
# ``dask.distributed`` client included.
#
# How many workers?
# -----------------
# The threads and processes schedulers start one worker per core by default. Dask counts the
# machine's cores (``dask.system.CPU_COUNT``), less what a container's CPU quota and, on Linux,
# the CPU affinity take away. It does not know about batch jobs: a job granted four :term:`slots <slot>` of a
# 28-core node would start 28 workers, slowing down itself and its neighbours. The affinity
# does not always help: Grid Engine without core binding leaves it at the whole node, and macOS
# and Windows have none to read. The batch system states the grant in an environment variable.
# Here is what this machine says:
import os

from dask.system import CPU_COUNT

for name in ["SLURM_CPUS_PER_TASK", "NSLOTS", "PBS_NP"]:
    print(f"{name:>19} = {os.environ.get(name, '(not set)')}")
print(f"{'os.cpu_count()':>19} = {os.cpu_count()} cores")
print(f"{'dask CPU_COUNT':>19} = {CPU_COUNT} cores")

# %%
# The course's ``granted_cores()`` reads the batch variables of Slurm, SGE, PBS and LSF, the
# CPU affinity (where the system has one) and the cgroup CPU quota, and returns the smallest
# that applies, never more than ``os.cpu_count()`` (it is one short file,
# ``src/tutorial_helpers/cores.py``: copy it into your project). Pass it as ``num_workers=``,
# or set it once with ``dask.config.set(num_workers=...)``.
from tutorial_helpers.cores import granted_cores

workers = granted_cores()
print(f"granted_cores() = {workers}")

# %%
# The same answer three ways
# --------------------------
# Mean trip duration per user type in January, computed by each local scheduler. The graph is
# the same; only who runs its tasks changes.
import time

from tutorial_helpers import bikes

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
january = dd.read_csv(files[0], dtype=trip_dtypes)
by_usertype = january.groupby("usertype")["tripduration"]
minutes_by_usertype = by_usertype.mean() / 60

by_scheduler, seconds = {}, {}
for scheduler in ["synchronous", "threads"]:
    start = time.perf_counter()
    by_scheduler[scheduler] = minutes_by_usertype.compute(
        scheduler=scheduler, num_workers=workers
    )
    seconds[scheduler] = time.perf_counter() - start

# %%
# The processes scheduler starts fresh Python processes (Python's "spawn" method) for every
# ``compute()``. In a *script*, each of them first imports the script itself, so a line that
# starts processes must sit under ``if __name__ == "__main__":``, or every worker would start
# workers of its own. (Run this lesson as a script and you will see its first outputs printed
# again by each worker.) In a notebook the guard changes nothing.
if __name__ == "__main__":
    start = time.perf_counter()
    by_scheduler["processes"] = minutes_by_usertype.compute(
        scheduler="processes", num_workers=workers
    )
    seconds["processes"] = time.perf_counter() - start
pd.DataFrame(by_scheduler).round(2)

# %%
# The same numbers. The time of each single run is below; the processes run includes starting
# its processes and importing pandas in each before any work, and it pays that again on every
# ``compute()``.
print(", ".join(f"{name} {s:.2f} s" for name, s in seconds.items()))

# %%
# To pay the start-up once, start a pool of processes yourself and pass it as ``pool=``: every
# other processes run in this lesson uses this one, and the measurement at the end closes it.
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

if __name__ == "__main__":
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))

# %%
# Debugging: the synchronous scheduler
# ------------------------------------
# A pure-Python function that reads each trip's birth year, on the raw text lines of January's
# file (``dask.bag``, one line per element, header skipped):
import traceback


def is_trip(line):
    return not line.startswith('"tripduration"')


def rider_age(line):
    fields = line.split(",")
    return 2019 - int(fields[13])


lines = db.read_text(files[0], blocksize="1MB").filter(is_trip)
ages = lines.map(rider_age)

# %%
# Run it with ``scheduler="synchronous"``: every task runs one after the other in this thread.
# It fails. The traceback, trimmed here to its last two entries (and each file to its name),
# ends in our own function, on our own line:
from pathlib import Path


def last_entries(error, n=2):
    """The last ``n`` entries of the error's traceback and the error, files named without folders."""
    entries = traceback.extract_tb(error.__traceback__)[-n:]
    for entry in entries:
        entry.filename = Path(entry.filename).name
    return "".join(traceback.format_list(entries) + traceback.format_exception_only(error))


try:
    ages.mean().compute(scheduler="synchronous")
except ValueError as error:
    sync_error = error
    sync_traceback = last_entries(error)
print(sync_traceback)

# %%
# The failing frame is still there, with its local variables: exactly what
# ``pdb.post_mortem()`` (``%debug`` in Jupyter) opens, and where a ``breakpoint()`` inside
# ``rider_age`` would stop. It shows the culprit: a trip without a birth year, written ``""``.
*_, (frame, _) = traceback.walk_tb(sync_error.__traceback__)
print(f"{frame.f_code.co_name}() failed on this line of the file:")
print(frame.f_locals["line"])

# %%
# The threaded scheduler re-raises the exception of its worker thread with that thread's
# traceback, so the text is the same:
try:
    ages.mean().compute(scheduler="threads", num_workers=workers)
except ValueError as error:
    threads_traceback = last_entries(error)
print("same as synchronous:", threads_traceback == sync_traceback)

# %%
# What differs is how the tasks ran up to the failure. Take four short tasks that record when
# they start and end. In their graph, the boxes at the bottom are the four pieces of data that
# ``from_sequence`` put into it; each circle is one task, a call of ``traced``, with its result
# above it. Nothing links one task to another, so a scheduler may run them in any order,
# several at once.


def traced(i):
    events.append(f"start {i}")
    time.sleep(0.02)
    events.append(f"end {i}")
    return i


four_tasks = db.from_sequence(range(4), npartitions=4).map(traced)
four_tasks.visualize()

# %%
# Synchronous runs them one by one; threads interleave them, in an order that can change from
# run to run. Prints, log lines and a ``breakpoint()`` (hit by several threads at once) get
# just as tangled.
for scheduler in ["synchronous", "threads"]:
    events = []
    four_tasks.compute(scheduler=scheduler, num_workers=workers)
    print(f"{scheduler:>11}: {', '.join(events)}")

# %%
# With processes, the task fails in another process, and its exception travels back as
# pickled data: the message and the names of the functions survive; the source lines and the
# local variables do not.
if __name__ == "__main__":
    try:
        ages.mean().compute(scheduler="processes", pool=pool)
    except ValueError as error:
        print(last_entries(error))
        *_, (frame, _) = traceback.walk_tb(error.__traceback__)
        print(f"{frame.f_code.co_name}() local variables:", frame.f_locals)

# %%
# Threads or processes? Two kinds of work
# ---------------------------------------
# *NumPy work*: for every trip, how many stations lie within 1 km of where it starts, by
# user type, over January's trips already in memory as twelve pandas partitions. Each partition
# is a few NumPy expressions on a trips × stations array of distances, all in compiled code.
import numpy as np

january_trips = pd.read_csv(files[0])
trips = dd.from_pandas(january_trips, npartitions=12)
coordinates = ["start station latitude", "start station longitude"]
stations = january_trips.groupby("start station id")[coordinates].first()
station_lat, station_lon = np.radians(stations.to_numpy()).T


def with_stations_nearby(part):
    """Haversine distances from each trip's start to every station."""
    lat, lon = np.radians(part[coordinates].to_numpy()).T[:, :, None]
    a = np.sin((station_lat - lat) / 2) ** 2
    a += np.cos(lat) * np.cos(station_lat) * np.sin((station_lon - lon) / 2) ** 2
    km = 2 * 6371 * np.arcsin(np.sqrt(a))
    return part.assign(nearby=(km < 1).sum(axis=1))


def stations_nearby(scheduler, **options):
    nearby = trips.map_partitions(with_stations_nearby)
    per_usertype = nearby.groupby("usertype")["nearby"].mean()
    return per_usertype.compute(scheduler=scheduler, **options)


nearby_by_usertype = stations_nearby("threads", num_workers=workers)
nearby_by_usertype

# %%
# *pure-Python work*: January's raw lines split and parsed into records in Python, the start
# time with ``datetime.strptime`` (the synthetic station names contain no commas; real data
# would need the ``csv`` module), then the trips per starting hour. Twelve partitions too.
from datetime import datetime


TIME = '"%Y-%m-%d %H:%M:%S.%f"'  # the quotes are part of the field


def parse_trip(line):
    fields = line.split(",")
    return {
        "seconds": int(fields[0]),
        "start": datetime.strptime(fields[1], TIME),
        "usertype": fields[12].strip('"'),
    }


january_bytes = files[0].stat().st_size


def trips_per_hour(scheduler, **options):
    text = db.read_text(files[0], blocksize=january_bytes // 12 + 1)
    records = text.filter(is_trip).map(parse_trip)
    hours = records.map(lambda trip: trip["start"].hour).frequencies()
    return dict(hours.compute(scheduler=scheduler, **options))


hourly_trips = trips_per_hour("threads", num_workers=workers)
print({hour: hourly_trips[hour] for hour in sorted(hourly_trips)})

# %%
# Measured
# --------
# To measure the work rather than the start-up, the processes rows use the pool started above,
# warmed up by one untimed run of each job. The synchronous rows, one task at a time in one
# thread, are the yardstick. The table is printed as text: in a script, only the main process
# may run this block.
from functools import partial

from tutorial_helpers.timing import compare

if __name__ == "__main__":
    rows = {}
    jobs = {"NumPy": stations_nearby, "pure Python": trips_per_hour}
    for work, job in jobs.items():
        job("processes", pool=pool)
        rows[f"{work} · synchronous"] = partial(job, "synchronous")
        rows[f"{work} · threads"] = partial(job, "threads")
        rows[f"{work} · processes"] = partial(job, "processes", pool=pool)
    with pool, dask.config.set(num_workers=workers):
        scheduler_timings = compare(rows, warmup=0)
    *table, _ = repr(scheduler_timings).splitlines()  # its caption names only the default scheduler
    print("\n".join(table))
    print(f"Median of 3 runs; {workers} workers; machine: {os.cpu_count()} cores.")

# %%
# Each row ran on the scheduler in its name, chosen with ``scheduler=``.
# What the table says, for each kind of work: the scheduler expected to win against the other,
# and against one thread.
if __name__ == "__main__":
    busy = "Other programs on the machine may have been using the cores."
    verdicts = [
        scheduler_timings.verdict(
            "NumPy · threads", "NumPy · processes",
            otherwise="Processes can win where a task's data is small next to its work, or where "
            "the compiled code holds the GIL for a larger share of the time.",
        ),
        scheduler_timings.verdict("NumPy · threads", "NumPy · synchronous", otherwise=busy),
        scheduler_timings.verdict(
            "pure Python · processes", "pure Python · threads",
            otherwise="Processes lose where each task is short next to the cost of sending it, "
            f"and its result, between processes. {busy}",
        ),
        scheduler_timings.verdict("pure Python · processes", "pure Python · synchronous", otherwise=busy),
    ]
    print("\n".join(verdicts))

# %%
# Why
# ---
# - **The GIL.** One Python process runs Python code in only one thread at a time (the global
#   interpreter lock). NumPy, and pandas in much of its work, release it while their compiled
#   loops run, so their threads can work side by side; ``split`` and ``strptime`` are Python,
#   so threads take turns. The comparisons with one thread above show how much of the other
#   cores each kind of work could use. Each process has its own interpreter and its own lock.
# - **Serialisation.** Threads share memory: a partition is handed over by reference. Processes
#   share nothing: each task and its input are pickled, sent to a worker and unpickled there,
#   and the result comes back the same way. January's trips in memory travel to the workers
#   on every run; the pure-Python job sends only a file name and a byte range per task and gets
#   back 24 counts.
# - **Start-up.** A fresh pool, started by every ``compute(scheduler="processes")`` without
#   ``pool=``, adds starting the processes and importing pandas in each (part of the first
#   section's processes run). A pool of your own, or the ``dask.distributed`` scheduler, keeps
#   its worker processes running between computations instead.
# - **Idle cores.** Threads and processes can only run side by side on cores that nothing else
#   is using. On a machine shared with other work, both lose their edge over one thread, and
#   the overheads above remain.
#
# Traps met while writing this lesson: the processes scheduler hands out ready tasks six at a
# time (its ``chunksize``), so with fewer than six partitions per worker some workers stay idle
# (pass ``chunksize=1``); everything a task uses must be picklable; and a DataFrame shuffle
# (a ``groupby`` on several columns, ``merge``, ``set_index``) planned while a
# ``dask.distributed`` client exists uses the "p2p" method, which only that client can run: pass
# ``shuffle_method="tasks"`` to run it on a local scheduler.

# %%
# Key points
# ----------
# - ``compute(scheduler="synchronous" | "threads" | "processes")`` picks a scheduler for one
#   call; ``with dask.config.set(scheduler=...):`` for a block. Both take precedence over the
#   default, a ``dask.distributed`` client included, and neither outlives its call or block.
# - Debug with ``"synchronous"``: one task at a time, in your thread, so tracebacks, ``pdb``
#   and ``print`` work as in plain Python.
# - Threads suit pandas and NumPy, which release the GIL and share memory. Processes let
#   pure-Python work (Bag, plain functions), which holds the GIL, use several cores, when each
#   task's work outweighs sending it and its data, and the start-up is paid once. Which wins
#   on your machine and your work is a measurement, as above.
# - In scripts, start processes under ``if __name__ == "__main__":``.
# - Size the pools to the cores the job was granted, not to the machine:
#   ``num_workers=granted_cores()``.
#
# Exercise
# --------
# Fix ``rider_age`` so that trips without a birth year are left out, then compute the mean
# rider age in January with the synchronous scheduler and with threads, and check that both
# agree. Put your answer in ``answer`` (a dict from the scheduler name you passed as
# ``scheduler=`` to the mean age it computed, a float) and run the check below: it compares with
# pandas on January's file, asks Dask which scheduler each of your names selects, and says what
# is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("local_schedulers", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def rider_age_or_none(line):
#           birth_year = line.split(",")[13].strip('"')
#           return 2019 - int(birth_year) if birth_year else None
#
#       known_ages = lines.map(rider_age_or_none).filter(lambda age: age is not None)
#       answer = {
#           scheduler: known_ages.mean().compute(scheduler=scheduler)
#           for scheduler in ["synchronous", "threads"]
#       }
#       print(answer)
#       check("local_schedulers", answer)
