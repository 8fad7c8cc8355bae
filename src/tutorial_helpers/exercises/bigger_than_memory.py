"""The exercises of the bigger-than-memory topic (examples/19_bigger_than_memory).

19.1 asks for the five longest median trips per end station over the lesson's sixteenfold year,
computed with Dask on threads: compared with pandas on the lesson's Parquet copy. 19.2 asks how many times faster Dask's threads ran the
analysis than its synchronous scheduler: the ratio is compared with the learner's own timings,
whose shape (rows, runs) is checked too, and the learner's synchronous result with pandas.
"""

from __future__ import annotations

import math

import pandas as pd

from tutorial_helpers.exercises import Exercise, clean_trips, differs
from tutorial_helpers.timing import Timings


def _compare_longest_median_trips_to(answer, files, parquet_dir=None) -> str | None:
    if parquet_dir is None:
        return "Pass the lesson's Parquet copy too: check(..., parquet_dir=parquet_dir)."
    trips = pd.read_parquet(parquet_dir, columns=["end station name", "end station id", "tripduration"])
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    want = clean.groupby("end station name")["tripduration"].median().nlargest(5)
    return differs(answer, want, "Your five longest median trips per end station")


_ONE_THREAD, _THREADS = "Dask, one thread", "Dask, threads"


def _compare_threads_speedup(answer, files, timings=None, result=None, paths=None) -> str | None:
    if not isinstance(timings, Timings):
        return ("Pass what compare returned too, check(..., timings=threads_or_not), so the check can "
                "read your measurement.")
    names = [t.name for t in timings.timings]
    if sorted(names) != sorted([_ONE_THREAD, _THREADS]):
        return f"Your Timings has the rows {names}: name them {_ONE_THREAD!r} and {_THREADS!r}."
    if any(len(t.seconds) < 3 for t in timings.timings):
        return "A row of your Timings has fewer than three timed runs: time each three times."
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer):
        return f"The answer should be a number (a float); yours is a {type(answer).__name__}."
    speedup = timings[_ONE_THREAD].median / timings[_THREADS].median
    if not math.isclose(answer, speedup, rel_tol=1e-6):
        upside = math.isclose(answer, 1 / speedup, rel_tol=1e-6)
        return ("Your number is the ratio the other way round." if upside else
                "Your number is not the ratio of the two medians in your Timings.")
    if result is None or paths is None:
        return ("The ratio is right; pass the synchronous run's result and the files it read too, "
                "check(..., result=..., paths=small_files).")
    trips = clean_trips(paths, ["start station name", "tripduration"])
    want = trips.groupby("start station name")["tripduration"].agg(["count", "mean", "median"])
    if not isinstance(result, pd.DataFrame):
        return f"`result` should be the pandas DataFrame dask_analysis returned; yours is a {type(result).__name__}."
    return differs(result[[c for c in want.columns if c in result.columns]], want,
                   "The synchronous run's result")


EXERCISES = {
    "plot_01_bigger_than_memory": Exercise(
        compare=_compare_longest_median_trips_to,
        hint="clean the trips as the lesson does, group them by 'end station name' (not the start), "
             "take the exact median of 'tripduration' (in seconds), then nlargest(5).",
        right=lambda answer: f"the longest median trip ends at {answer.idxmax()!r}.",
    ),
    "plot_02_scaling_study": Exercise(
        compare=_compare_threads_speedup,
        hint="time dask_analysis(small_files, scheduler=...) with compare, one row per scheduler, and "
             "divide the one-thread median by the threads median (speedup(slower, faster)).",
        right=lambda answer: f"the threads ran {answer:.2f}× as fast as one thread on this machine, now.",
    ),
}
