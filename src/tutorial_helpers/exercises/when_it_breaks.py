"""The exercises of the "When it breaks" topic (examples/20_when_it_breaks): one per lesson.

Each lesson reproduces failures; its exercise asks for the fixed version, and its check compares
with an independent reference and reads the Dask objects the answer came from.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs

# -- 20.1, out of memory ---------------------------------------------------------------------------
# A histogram of 80 million numbers, counted on the cluster in chunks small enough for a 500 MiB
# worker. The reference is the uniform distribution the numbers are drawn from: each of the 10 bins of [0, 1)
# expects a tenth of them, and with 8 million per bin a real count lies within a few thousand of that
# (one standard deviation is about 2,700), far inside the 1 % the check allows. The check also reads the
# Dask array that was counted: all 80 million numbers, in chunks a small worker can hold.

SIZE = 80_000_000
BINS = 10
WORKER_LIMIT = 500 * 2**20
# Two threads each hold a chunk and its temporaries next to a worker process of 100-200 MiB: chunks of
# up to a tenth of the limit keep the worker far from its pause threshold (80 %).
MAX_CHUNK_BYTES = WORKER_LIMIT // 10


def _compare_histogram(answer, files, array=None) -> str | None:
    counts = np.asarray(answer)
    if counts.ndim != 1 or counts.size != BINS:
        return f"The answer should hold {BINS} counts, one per bin; yours has the shape {counts.shape}."
    if not np.issubdtype(counts.dtype, np.integer):
        return "The answer should hold counts (integers); yours holds other numbers (a density?)."
    if int(counts.sum()) != SIZE:
        return f"Your counts add up to {int(counts.sum()):,}, not to the number of numbers counted."
    if np.abs(counts - SIZE / BINS).max() > 0.01 * SIZE / BINS:
        return "Your counts are not those of uniform numbers in 10 equal bins of [0, 1): check the bins' range."
    if not (hasattr(array, "chunks") and hasattr(array, "__dask_graph__")):
        return ("The counts look right; pass the Dask array you counted too, array=..., so the check can see "
                "its chunks.")
    if array.size != SIZE:
        return f"The array you passed holds {array.size:,} numbers, not the 80 million counted."
    largest = int(np.prod([max(sizes) for sizes in array.chunks])) * array.dtype.itemsize
    if largest > MAX_CHUNK_BYTES:
        return (f"The counts are right, but your array's largest chunk is {largest / 2**20:.0f} MiB: too big for "
                "a 500 MiB worker running two tasks at a time.")
    return None


# -- 20.2, dtypes and meta -------------------------------------------------------------------------
# All twelve months read with the dtypes that fit them; the subscribers' mean birth year.


@functools.lru_cache(maxsize=2)
def _subscribers_mean_birth_year(files: tuple[Path, ...]) -> float:
    trips = pd.concat([pd.read_csv(f, usecols=["usertype", "birth year"]) for f in files], ignore_index=True)
    return float(trips.loc[trips["usertype"] == "Subscriber", "birth year"].mean())


def _compare_mean_birth_year(answer, files, frame=None) -> str | None:
    if frame is None or not hasattr(frame, "expr") or not hasattr(frame, "dtypes"):
        return ("Pass the Dask DataFrame you read the twelve files into as `frame` (not computed), "
                "so the check can see its dtypes.")
    dtypes = frame.dtypes
    missing = [c for c in ("tripduration", "birth year", "end station id") if c not in dtypes.index]
    if missing:
        return f"Your DataFrame has no column {missing[0]!r}: read every column of the files."
    for column in ("birth year", "end station id"):
        if str(dtypes[column]) == "int64":
            return (f"Your DataFrame expects {column!r} as int64, but some rows have no value there: "
                    "computing it would raise 'Mismatched dtypes found'.")
    if not pd.api.types.is_integer_dtype(dtypes["tripduration"]):
        return f"Your DataFrame reads 'tripduration' as {dtypes['tripduration']}, not as whole numbers."
    return differs(answer, _subscribers_mean_birth_year(tuple(Path(f) for f in files)),
                   "Your mean birth year of subscribers")


# -- 20.3, code on workers -------------------------------------------------------------------------
# The learner's module function ``long_trips(path, minutes)`` runs on the cluster, one task per trip
# file, each reading its file from its path. The check counts the trips longer than 30 minutes in
# each file with pandas, and reads the futures the counts came from: one per file, of
# ``long_trips``, finished.

MINUTES = 30


def long_trips_by_file(files, minutes=MINUTES) -> dict[str, int]:
    """The reference: trips longer than ``minutes`` in each file, by file name, counted with pandas."""
    counts = {}
    for path in files:
        durations = pd.read_csv(path, usecols=["tripduration"])["tripduration"]
        counts[Path(path).name] = int((durations > minutes * 60).sum())
    return counts


def _compare_long_trips(answer, files, futures=None) -> str | None:
    if not isinstance(answer, dict):
        return f"The answer should be a dict from file name to count; yours is a {type(answer).__name__}."
    expected = long_trips_by_file(files)
    if len(answer) != len(expected):
        return f"Your dict has {len(answer)} keys; it should have one per trip file ({len(expected)})."
    if set(map(str, answer)) != set(expected):
        return "Your dict's keys should be the files' names, without their folders."
    if not all(isinstance(count, numbers.Integral) and not isinstance(count, bool) for count in answer.values()):
        return "Each count should be an int, the result of one task."
    wrong = [name for name, count in expected.items() if answer[name] != count]
    if wrong:
        everything = long_trips_by_file(files, minutes=0)
        if all(answer[name] == everything[name] for name in expected):
            return ("Your counts are the files' numbers of trips: only the trips longer than 30 minutes count "
                    "(tripduration is in seconds).")
        return f"{len(wrong)} of your {len(expected)} counts differ from the trips longer than 30 minutes."
    if not isinstance(futures, (list, tuple)) or not futures or not all(hasattr(f, "key") for f in futures):
        return ("The counts are right; pass the futures of your client.map too, futures=..., so the check can "
                "see that they were counted on the cluster.")
    if len(futures) != len(expected):
        return f"You passed {len(futures)} futures; there should be one task per trip file ({len(expected)})."
    if any(key_split(f.key) != "long_trips" for f in futures):
        return "The futures should be those of long_trips, the function from your trip_filters module."
    return None


# -- 20.4, ports and connections -------------------------------------------------------------------
# Find where a dashboard really went when its port was taken.


def _dashboard_port(cluster) -> int | None:
    """The port the cluster's dashboard server was bound to, as the scheduler itself records it."""
    server = getattr(getattr(cluster, "scheduler", None), "http_server", None)
    return getattr(server, "port", None)


def _compare_dashboard_port(answer, files, cluster=None, caught=None, asked=None) -> str | None:
    if isinstance(answer, str):
        return "The answer should be the port number alone, an int, not an address or a link."
    if not isinstance(answer, numbers.Integral) or isinstance(answer, bool):
        return f"The answer should be a port number, an int; yours is a {type(answer).__name__}."
    if asked is not None and answer == asked:
        return ("That is the port you asked for, and it was busy: the dashboard could not listen there.")
    actual = _dashboard_port(cluster)
    if actual is None:
        return ("Pass the cluster you started too, cluster=..., so the check can see where its dashboard "
                "listens.")
    if answer != actual:
        scheduler_address = getattr(cluster, "scheduler_address", "") or ""
        if scheduler_address and answer == urlsplit(scheduler_address).port:
            return "That is the port of the cluster's scheduler, not of its dashboard."
        return "That is not the port your cluster's dashboard listens on."
    recorded = [w for w in (caught or []) if isinstance(w, warnings.WarningMessage)]
    if not any(str(w.message).startswith(f"Port {asked} is already in use") for w in recorded):
        return ("The port is right; pass the warnings you recorded too, caught=..., recorded around the "
                "LocalCluster call that asked for the busy port.")
    return None


# -- 20.5, slow not broken -------------------------------------------------------------------------
# A sum of squares in batches, not per number. The check recomputes the total with a plain loop and counts the tasks of the learner's ``Delayed``
# plan: one call per batch of 10,000 numbers and a sum, not a call per number, nor one call for all.

N_NUMBERS, BATCH = 100_000, 10_000


def _compare_batched_squares(answer, files, plan=None) -> str | None:
    if not isinstance(answer, numbers.Integral) or isinstance(answer, bool):
        return f"The answer should be the total, an int; yours is a {type(answer).__name__}."
    if answer != sum(i * i for i in range(N_NUMBERS)):
        if answer in (sum(i * i for i in range(N_NUMBERS + 1)), sum(i * i for i in range(1, N_NUMBERS))):
            return "Your total is off at one end: the numbers are 0 to 99,999, both included."
        return "Your total is not the sum of the squares of the numbers 0 to 99,999."
    if not hasattr(plan, "__dask_graph__") or type(plan).__name__ != "Delayed":
        return ("The total is right; pass the Delayed total too, plan=..., so the check can count its "
                "tasks.")
    calls = [key for key in plan.__dask_graph__() if key_split(key) != key_split(plan.key)]
    wanted = N_NUMBERS // BATCH
    if len(calls) < wanted:
        return (f"Your plan has {len(calls)} call(s) besides the final sum: the work is in too few pieces "
                "to run in parallel.")
    if len(calls) > wanted:
        return (f"Your plan has {len(calls):,} calls besides the final sum: more, smaller tasks than "
                "batches of 10,000 numbers make.")
    return None


EXERCISES = {
    "plot_01_out_of_memory": Exercise(
        compare=_compare_histogram,
        hint="make the numbers again with chunks of a few million, give da.histogram bins=10 and range=(0, 1), "
             "and compute only the counts (the first of the two things it returns).",
        right=lambda answer: (f"{int(np.sum(answer)):,} numbers counted in {len(answer)} bins on the cluster; "
                              "only the counts came back."),
    ),
    "plot_02_dtypes_and_meta": Exercise(
        compare=_compare_mean_birth_year,
        hint="give dtype= only the columns the error message lists (not assume_missing=True), read all "
             "twelve files, keep the rows whose usertype is 'Subscriber', and take the mean of "
             "'birth year' as it is (mean() skips missing values).",
        right=lambda answer: f"subscribers' mean birth year {answer:.2f}, from a DataFrame that computes.",
    ),
    "plot_03_code_on_workers": Exercise(
        compare=_compare_long_trips,
        hint="write the function into trip_filters.py in the project folder, send that file to the workers "
             "with client.upload_file, import it here, and client.map its long_trips over the files' paths "
             "with minutes=30.",
        right=lambda answer: (f"{sum(answer.values()):,} trips over 30 minutes in {len(answer)} files, "
                              "counted on the worker."),
    ),
    "plot_04_ports_and_connections": Exercise(
        compare=_compare_dashboard_port,
        hint="start the cluster inside warnings.catch_warnings(record=True), asking for the busy port, then "
             "read the port from the dashboard link the cluster reports, not from what you asked for.",
        right=lambda answer: "the dashboard moved to another port, and you read it from the cluster.",
    ),
    "plot_05_slow_not_broken": Exercise(
        compare=_compare_batched_squares,
        hint="split range(100_000) into ranges of 10,000, call dask.delayed(sum_of_squares) on each, and "
             "combine those ten results with dask.delayed(sum).",
        right=lambda answer: f"{answer:,}, from ten batches of 10,000 numbers.",
    ),
}
