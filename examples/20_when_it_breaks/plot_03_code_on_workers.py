"""
Code and data that cannot reach the workers
===========================================

Dask workers are other Python processes, often on other machines. Everything a task needs, the
function, its arguments and the modules they come from, must travel to them as a pickle or
already be there. You will trigger the four failures that come from that: a script that starts
worker processes without the ``__main__`` guard, a worker that cannot import your module, an
argument that cannot be pickled, and a big object baked into the task graph. For each, the exact
message this version of Dask prints, where it shows up, why, and the fix, run.

**You will be able to:** recognise "Nanny failed to start", a worker that dies with
``ModuleNotFoundError`` while your future stays pending, "Could not serialize object" and
"Sending large graph of size"; find the matching lines in the worker and scheduler logs; and fix
each with the ``__main__`` guard, ``client.upload_file``, a ``distributed.Lock`` or a path instead
of an object, and ``client.scatter`` or data made on the workers.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** A notebook works and the same code as a script does not (the
#      guard), or code works on ``LocalCluster`` and not on the HPC cluster (modules and files the
#      workers cannot see).
#    - **Do not skip:** The missing module does not raise in the notebook: the future stays
#      pending and the error is only in the *worker's* log. Show where that log is.
#    - **Ask the room:** Which of your own objects would you pass to a task, and which of them
#      hold a lock, a file or a connection?

# %%
# .. _breaks-main-guard:
#
# A script that starts worker processes without the ``__main__`` guard
# --------------------------------------------------------------------
# A ``LocalCluster`` starts each worker as a new Python process, with the start method Dask's
# configuration names (below): with *spawn*, the new process imports your script again, as
# ``__mp_main__``, to find the functions it needs. In a script without the guard, that import
# runs ``LocalCluster(...)`` again, inside the new worker, which Python refuses. (A notebook has
# no script file to import again.) We write a small script into a temporary folder and run it as
# ``python unguarded.py`` would, in a Python process of its own. Its first line after the import
# prints the name it runs under.
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import dask
import distributed  # adds its settings to Dask's configuration

print("start method:", dask.config.get("distributed.worker.multiprocessing-method"))
header = """\
from distributed import Client, LocalCluster

print("this file runs as", __name__)
"""
body = """\
cluster = LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0")
client = Client(cluster)
print("sum on the cluster:", client.submit(sum, [1, 2]).result())
client.close()
cluster.close()
"""
scripts = tempfile.TemporaryDirectory()
unguarded_script = Path(scripts.name, "unguarded.py")
unguarded_script.write_text(header + body)
unguarded = subprocess.run([sys.executable, unguarded_script.name], cwd=scripts.name,
                           capture_output=True, text=True, timeout=120)


def runs_as(run):
    """The names the script ran under, in every process that ran it."""
    lines = run.stdout.splitlines()
    return sorted(line.split()[-1] for line in lines if line.startswith("this file runs as"))


unguarded_runs_as = runs_as(unguarded)
print("exit code:", unguarded.returncode, "| the file ran as:", unguarded_runs_as)

# %%
# The script ran twice: as ``__main__``, and again as ``__mp_main__`` in the worker process it
# started. Then it failed, after a long stream of tracebacks from both processes. The last line
# of its error output is the script's own error; the log line and Python's explanation come
# from the worker process, which tried to start a cluster of its own. Log lines start with a
# timestamp, which we cut off (here and below), as it changes on every run.
import re


def scrub(line):
    """A log line without its timestamp, and with this run's network addresses replaced."""
    line = re.sub(r"^\d{4}-\d\d-\d\d [\d:,]+ - ", "", line.strip())
    return re.sub(r"tcp://[\w.\-]+:\d+", "<address>", line)


stderr_lines = unguarded.stderr.splitlines()
unguarded_error = stderr_lines[-1]
unguarded_type, unguarded_message = unguarded_error.split(": ", 1)
nanny_log_line = scrub(next(line for line in stderr_lines if "distributed.nanny - ERROR" in line))
first = next(i for i, line in enumerate(stderr_lines) if "An attempt has been made" in line)
bootstrapping = " ".join(line.strip() for line in stderr_lines[first:first + 2])
print(f"{len(stderr_lines)} lines of error output, "
      f"{sum(line.startswith('Traceback') for line in stderr_lines)} tracebacks")
print("the script's error:  ", unguarded_error)
print("the worker's log:    ", nanny_log_line)
print("and Python explains: ", bootstrapping)

# %%
# **Confirm it:** the word *bootstrapping* in that explanation, and an error that comes from
# starting the cluster (``Nanny failed to start``) before any task ran. **Fix:** put everything
# that starts or uses the cluster under ``if __name__ == "__main__":``. The worker still imports
# the script, as ``__mp_main__``, but skips what the guard holds.
guarded_script = Path(scripts.name, "guarded.py")
guarded_script.write_text(header + '\nif __name__ == "__main__":\n' + textwrap.indent(body, "    "))
print(guarded_script.read_text())
guarded = subprocess.run([sys.executable, guarded_script.name], cwd=scripts.name,
                         capture_output=True, text=True, timeout=120)
guarded_runs_as = runs_as(guarded)
guarded_sum = [line for line in guarded.stdout.splitlines() if line.startswith("sum")]
print("exit code:", guarded.returncode, "| the file ran as:", guarded_runs_as, "|", *guarded_sum)

# %%
# The cluster of this lesson: workers started elsewhere
# -----------------------------------------------------
# On an HPC cluster the workers are started by a job script on other nodes, with the command
# ``dask worker <scheduler address>``, in whatever folder the job starts in. This lesson does the
# same on one machine: a scheduler in this process (``n_workers=0``: no worker of its own), and
# worker processes started with that command in another temporary folder
# (``python -m distributed.cli.dask_worker`` is ``dask worker``, run by this process's Python).
# The worker's log goes to a file, as a batch job's output would, so that we can read it. The
# scheduler's address includes a port that changes on every run, so it is never printed.
#
# These worker processes stop when the scheduler closes them (the last cell) or when their
# connection to it breaks, as it does when this Python process ends: a script that fails, a
# notebook kernel you restart. ``--death-timeout 60`` stops a worker that cannot reach the
# scheduler within a minute. ``--host`` and ``--dashboard-address`` keep the worker, its nanny and
# the small web server every worker runs (its dashboard, health and metrics pages) on this
# machine's loopback interface; without the latter that server listens on every interface.
from distributed import Client, LocalCluster

cluster = LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                       dashboard_address="127.0.0.1:0")
client = Client(cluster)
elsewhere = tempfile.TemporaryDirectory()  # where the workers start: not your project folder


def start_worker(name):
    """Start ``dask worker`` as a job script would, in ``elsewhere``, logging to ``<name>.log``."""
    with open(Path(elsewhere.name, f"{name}.log"), "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--name", name, "--nthreads", "2", "--memory-limit", "1GiB", "--host", "127.0.0.1",
             "--dashboard-address", "127.0.0.1:0", "--death-timeout", "60"],
            cwd=elsewhere.name, stdout=log, stderr=subprocess.STDOUT,
        )


first_worker = start_worker("outside-1")
client.wait_for_workers(1, timeout=60)
[(w["name"], w["nthreads"]) for w in client.scheduler_info()["workers"].values()]

# %%
# .. _breaks-module-on-workers:
#
# A worker that cannot import your module
# ---------------------------------------
# Your own helper functions often live in a module next to your notebook. Here is one, in a
# "project" folder that this Python process can import from (a notebook's own folder is on its
# path in the same way):
project = tempfile.TemporaryDirectory()
Path(project.name, "my_trip_tools.py").write_text(
    'def minutes(seconds):\n    """A trip duration in minutes."""\n    return seconds / 60\n')
sys.path.insert(0, project.name)
import my_trip_tools

my_trip_tools.minutes(660)

# %%
# Pickle sends a function from an importable module *by reference*: its module and name, not its
# code (Python's oldest pickle format, protocol 0, shows it in plain text). Dask pickles with
# ``distributed.protocol.pickle``: Python's pickle first, and cloudpickle for what pickle cannot
# send or what refers to ``__main__``; both send this function by reference. Sent by value, it
# would carry its code and docstring; the bytes Dask sends do not hold the docstring:
import pickle

from distributed.protocol import pickle as dask_pickle

print(pickle.dumps(my_trip_tools.minutes, protocol=0))
print("docstring sent:", b"A trip duration" in dask_pickle.dumps(my_trip_tools.minutes))

# %%
# The scheduler runs in this process, which can import ``my_trip_tools``; the worker must import
# it too, to unpickle the task, and it cannot. The surprise is where the error goes: the worker
# fails while reading the scheduler's message, before any task runs, so it cannot report a task
# error. It closes its connection and exits. We wait for the worker process to end (for up to a
# minute) and look at our future.
stuck = client.submit(my_trip_tools.minutes, 660)
first_worker_exit_code = first_worker.wait(timeout=60)
stuck_status = stuck.status
workers_left = len(client.scheduler_info()["workers"])
print(f"worker process ended (exit code {first_worker_exit_code}); future: {stuck_status}; "
      f"workers left: {workers_left}")

# %%
# No exception reaches this process: ``stuck.result()`` would wait for ever, for a worker that
# is not there. The error is in the
# worker's log, and the scheduler's log says that the worker left. A real cluster keeps the
# worker's log in the job's output file.
worker_log = Path(elsewhere.name, "outside-1.log").read_text().splitlines()
module_error = next(line for line in worker_log if line.startswith("ModuleNotFoundError"))
module_error_type, module_error_message = module_error.split(": ", 1)
for line in worker_log:
    if "Failed to deserialize" in line:  # the INFO line goes on with the pickled task's bytes
        print("worker:   ", scrub(line).split("Failed to deserialize")[0] + "Failed to deserialize")
    elif line is module_error or "Stopping worker" in line or "End worker" in line:
        print("worker:   ", scrub(line))
scheduler_log = [scrub(line) for _, line in reversed(client.get_scheduler_logs())]
print("scheduler:", next(line for line in scheduler_log if "Lost all workers" in line))

# %%
# **Confirm it:** the dashboard's *Workers* tab is empty while the task waits; ask a worker
# whether it can find the module. A new worker, started the same way, cannot; this process can.
# First we cancel the stuck task, which is still waiting for a worker.
import importlib.util


def can_import(module_name):
    return importlib.util.find_spec(module_name) is not None


client.cancel(stuck)
second_worker = start_worker("outside-2")
client.wait_for_workers(1, timeout=60)
found_on_worker = list(client.run(can_import, "my_trip_tools").values())
print("on the worker:", found_on_worker, "| here:", can_import("my_trip_tools"))

# %%
# **Fix:** send the file to the workers. ``client.upload_file`` sends it to the scheduler and to
# each worker, which writes it into its local directory (a scratch folder that the worker put on
# its Python path when it started) and imports it there. That suits a module you are still
# editing. For code that has settled, install it, as a package, in the environment the
# workers run in (``pip install -e .`` on a shared file system), or put its folder on their
# ``PYTHONPATH`` in the job script.
def where_module(module_name, dask_worker):
    """Is the module imported, from the worker's local directory, and is that on the path?"""
    folder = str(Path(importlib.util.find_spec(module_name).origin).parent)
    return {"imported": module_name in sys.modules,
            "from the local directory": folder == dask_worker.local_directory,
            "on the path": folder in sys.path}


uploaded = client.upload_file(str(Path(project.name, "my_trip_tools.py")))
print("upload:", list(uploaded.values()))
upload_on_worker = list(client.run(where_module, "my_trip_tools").values())
print("on the worker:", upload_on_worker)
fixed_minutes = client.submit(my_trip_tools.minutes, 660).result()
fixed_minutes

# %%
# .. _breaks-unpicklable:
#
# An argument that cannot be pickled
# ----------------------------------
# Tasks that append to one shared file must take turns, and a lock is the usual tool. This
# function counts the trips of a monthly file and appends the count to a log file under a lock.
# It gets the *paths* of the files, not open files: each task opens what it needs itself.
from tutorial_helpers import bikes

files = [str(path) for path in bikes.trip_files()]
trip_log = Path(project.name, "trip_counts.txt")


def log_trip_count(path, log_path, lock):
    """Count the trips of one monthly file and append the count to the log file."""
    with open(path) as trips:
        count = sum(1 for _ in trips) - 1  # without the header line
    with lock:  # one task at a time appends to the log
        with open(log_path, "a") as log:
            log.write(f"{Path(path).name}: {count} trips\n")
    return count


# %%
# A ``threading.Lock`` only works between threads of one process. It cannot travel to another
# process at all: the ``Client`` pickles every task it sends, and fails at once, in
# ``submit``, before the task leaves this process. The exception's second argument repeats the
# whole graph with its random task keys, so we print its first; the pickling error itself is its
# cause. ``distributed`` also logs the failure here, in the client's log, with a traceback of
# its own; a logging handler keeps that record for us to read, and ``propagate = False`` keeps it
# out of the terminal until the open file below has failed too.
import logging
import threading


class KeepLines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        message = re.sub(r"-[0-9a-f]{32}", "-<token>", record.getMessage())
        self.lines.append(f"{record.name} - {record.levelname} - {message}")


protocol_log = logging.getLogger("distributed.protocol")
client_log = KeepLines()
protocol_log.addHandler(client_log)
protocol_log.propagate = False
try:
    client.submit(log_trip_count, files[0], str(trip_log), threading.Lock())
except TypeError as error:
    lock_error_type, lock_error_message = type(error).__name__, error.args[0]
    lock_cause = f"{type(error.__cause__).__name__}: {error.__cause__}"
print(f"{lock_error_type}: {lock_error_message}")
print("caused by:", lock_cause)
print("client log:", client_log.lines[0])

# %%
# A file opened for writing fails the same way, with its own cause: a worker on another machine
# could not write to it anyway.
with open(trip_log, "a") as open_log:
    try:
        client.submit(print, "a line", file=open_log)
    except TypeError as error:
        file_error = f"{type(error).__name__}: {error.args[0]}"
        file_cause = f"{type(error.__cause__).__name__}: {error.__cause__}"
protocol_log.removeHandler(client_log)
protocol_log.propagate = True
print(file_error)
print("caused by:", file_cause)

# %%
# **Confirm it:** the *cause* names what cannot be pickled; the error comes from ``submit``
# itself, before anything was sent. **Fix:** pass what can travel. The path of a file, not the
# open file: ``log_trip_count`` opens its files itself. For the lock, ``distributed.Lock`` is a
# lock the scheduler holds, known by its name, so every worker process takes the same one:
from distributed import Lock

counted = client.map(log_trip_count, files[:3], log_path=str(trip_log), lock=Lock("trip-log"))
logged_counts = client.gather(counted)
trip_log_lines = trip_log.read_text().splitlines()
print(logged_counts)
print("\n".join(sorted(trip_log_lines)))

# %%
# ``log_trip_count`` itself reached workers that cannot import this notebook. A function defined
# in the notebook or script belongs to the module ``__main__``, and for what refers to
# ``__main__`` Dask uses cloudpickle, which sends the function *by value*: its code, docstring
# included. Move such a function into a module and it travels by reference, as ``minutes`` did.
print("module:", log_trip_count.__module__, "| docstring sent:",
      b"Count the trips" in dask_pickle.dumps(log_trip_count))

# %%
# .. _breaks-large-graph:
#
# A big object baked into the task graph
# --------------------------------------
# ``da.from_array`` of a NumPy array that lives in this process puts the array's chunks into the
# task graph, so the whole array travels to the scheduler with the graph, and again with every
# graph that uses it. ``Client`` measures each graph it sends and warns above
# ``distributed.admin.large-graph-warning-threshold`` in Dask's configuration. A warning does
# not stop the computation; we catch it to show it.
import warnings

import dask
import dask.array as da
import numpy as np
from dask.utils import format_bytes, parse_bytes

big = np.random.default_rng(42).random(1_500_000)
threshold = dask.config.get("distributed.admin.large-graph-warning-threshold")
print(f"array: {format_bytes(big.nbytes)}; warning threshold: {threshold} = "
      f"{format_bytes(parse_bytes(threshold))}")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    embedded = da.from_array(big, chunks=250_000)
    mean_embedded = embedded.mean().compute()
    max_embedded = embedded.max().compute()
graph_warnings = [(w.category.__name__, str(w.message)) for w in caught]
graph_warning_type, graph_warning_message = graph_warnings[0]
graph_sizes = [parse_bytes(re.search(r"of size (.+?)\.\n", message).group(1))
               for _, message in graph_warnings]
print(f"{len(graph_warnings)} warnings, the first: {graph_warning_type}: {graph_warning_message}")
print("graphs sent, as multiples of the array's size:",
      [round(size / big.nbytes, 3) for size in graph_sizes])
print(f"mean: {mean_embedded:.6f}, max: {max_embedded:.9f}")

# %%
# **Confirm it:** the size in the warning is that of the array (the graph holds little else),
# and each of the two computations warned: every graph that embeds the array sends it again. **Fix:** move the data once, or make
# it where it is used. ``client.scatter`` sends the array to a worker once and returns a future
# that later tasks use as their argument; the graphs only hold its key. Better still, create or
# load the data in tasks (``da.random``, ``dd.read_csv``, or a function that reads a file from
# its path): then it never passes through this process at all.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    big_future = client.scatter(big)
    mean_scattered = client.submit(np.mean, big_future).result()
    max_scattered = client.submit(np.max, big_future).result()
    made_on_workers = da.random.default_rng(42).random(1_500_000, chunks=250_000)
    mean_made_on_workers = made_on_workers.mean().compute()
warnings_after_fix = [str(w.message) for w in caught]
print(f"warnings: {len(warnings_after_fix)}")
print(f"scattered array, mean: {mean_scattered:.6f}, max: {max_scattered:.9f}")
print(f"mean of an array made on the workers: {mean_made_on_workers:.6f}")

# %%
# Key points
# ----------
# - A script that starts worker processes needs ``if __name__ == "__main__":`` around the code
#   that starts and uses the cluster; without it, the script fails with "Nanny failed to
#   start", and the worker's output explains the bootstrapping phase.
# - Functions from modules travel by reference; functions defined in the notebook travel by
#   value, with cloudpickle. A worker that cannot import the module (while the scheduler, here in
#   your process, can) exits with ``ModuleNotFoundError`` in *its* log; your future just stays
#   pending. Fix it with ``client.upload_file`` while developing, or install the code where the
#   workers run.
# - Arguments travel as pickles. A ``threading.Lock`` or a file opened for writing fails at
#   ``submit`` with "Could not serialize object of type …", caused by the real culprit. Pass
#   paths and names, not open objects; use ``distributed.Lock`` for a lock.
# - A big local object in a graph gives "Sending large graph of size …". ``client.scatter``
#   sends it once; creating or loading the data in tasks avoids sending it at all.
#
# Exercise
# --------
# The function below belongs in a module of your project, ``trip_filters.py``. Write it into a
# file of that name in the ``project`` folder, make it reach the worker, and then, on the
# cluster, count the trips longer than 30 minutes in each trip file, with one task per file
# that gets the file's *path* (``client.map`` over ``files``). Put the counts in ``answer``, a
# dict from the file's name (``Path(path).name``) to its count, and the futures in
# ``long_futures``, and run the check below: it counts with pandas and says what is wrong,
# without giving the answer away. (Forget the upload and the worker exits as above while
# ``client.gather`` waits for ever: cancel the futures and start another worker with
# ``start_worker("outside-3")``.)
#
# .. code-block:: python
#
#    import pandas as pd
#
#
#    def long_trips(path, minutes):
#        """The number of trips in one trip file that took longer than ``minutes``."""
#        durations = pd.read_csv(path, usecols=["tripduration"])["tripduration"]  # seconds
#        return int((durations > minutes * 60).sum())
answer = None  # your answer, computed: replace None
long_futures = None  # the futures of your client.map: replace None

# %%
from tutorial_helpers.exercises import check

check("code_on_workers", answer, futures=long_futures)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       module = Path(project.name, "trip_filters.py")
#       module.write_text(
#           "import pandas as pd\n\n\n"
#           "def long_trips(path, minutes):\n"
#           '    """The number of trips in one trip file that took longer than ``minutes``."""\n'
#           '    durations = pd.read_csv(path, usecols=["tripduration"])["tripduration"]  # seconds\n'
#           "    return int((durations > minutes * 60).sum())\n"
#       )
#       client.upload_file(str(module))
#       import trip_filters
#
#       long_futures = client.map(trip_filters.long_trips, files, minutes=30)
#       counts = client.gather(long_futures)
#       answer = {Path(path).name: count for path, count in zip(files, counts)}
#       print(f"{sum(answer.values()):,} trips over 30 minutes in {len(answer)} files")
#       check("code_on_workers", answer, futures=long_futures)

# %%
# Close the cluster
# -----------------
# Close the client, then the cluster; the scheduler tells the worker process to stop (its log
# says so), and we wait until both worker processes have ended. Then the temporary folders go,
# and the project folder leaves the path.
client.close()
cluster.close()
worker_exit_codes = [worker.wait(timeout=60) for worker in (first_worker, second_worker)]
second_log = Path(elsewhere.name, "outside-2.log").read_text().splitlines()
print("worker:", next(scrub(line) for line in second_log if "Closing Nanny gracefully" in line))
sys.path[:] = [folder for folder in sys.path if folder != project.name]
for folder in (scripts, elsewhere, project):
    folder.cleanup()
print("worker processes ended, exit codes:", worker_exit_codes)
