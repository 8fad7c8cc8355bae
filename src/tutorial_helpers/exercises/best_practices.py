"""The exercises of the best-practices topic (examples/12_best_practices): compute once, then profile.

12.1 asks for the mean trip duration per user type with one ``dask.compute``: the check compares
with pandas on the same two months, and counts, in the task stream the cluster recorded for the
learner's run, how many times each file was read. 12.2 asks what a profile of the fixed route
pipeline shows: the check counts the pipeline's tasks from the files it reads (one ``load`` and
one ``count_routes`` per month, one ``busiest_route``), and reads the learner's profile itself to
see that it is of that pipeline and that the longest task named is the longest there.
"""

from __future__ import annotations

import numbers

import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs

# -- 12.1: one dask.compute for every user type ---------------------------------------------------


def _mean_by_usertype(files) -> pd.Series:
    """Mean trip duration in seconds per user type, over every trip of the first two months (no cleaning)."""
    trips = pd.concat([pd.read_csv(path, usecols=["usertype", "tripduration"]) for path in files[:2]],
                      ignore_index=True)
    return trips.groupby("usertype")["tripduration"].mean()


def _reads(stream) -> list:
    """The keys of the tasks of a task stream that read CSV blocks, once per time they ran."""
    return [record["key"] for record in stream if key_split(record["key"]) == "read-csv"]


def _compare_one_compute(answer, files, stream=None) -> str | None:
    if not isinstance(answer, dict):
        return f"The answer should be a dict from user type to mean seconds; yours is a {type(answer).__name__}."
    if any(hasattr(value, "__dask_graph__") for value in answer.values()):
        return "Some of your means are lazy Dask objects: compute them (all in one dask.compute) first."
    expected = _mean_by_usertype(files)
    try:
        means = pd.Series({key: float(value) for key, value in answer.items()}, dtype="float64")
    except (TypeError, ValueError):
        return "The dict's values should be numbers, the mean trip duration of each user type."
    problem = differs(means, expected, "Your means per user type", rel=1e-9)
    if problem:
        if differs(means, expected / 60, "", rel=1e-9) is None:
            return "Your means are in minutes; the question keeps the seconds of tripduration."
        return problem
    if stream is None:
        return ("The means are right; now pass the task stream of the run too, check(..., stream=...), "
                "so the check can count how often the files were read.")
    stream = getattr(stream, "data", stream)  # the get_task_stream() object, or its records
    if not isinstance(stream, list) or not all(isinstance(r, dict) and "key" in r for r in stream):
        return "stream should be what `with get_task_stream() as exercise_stream:` gave, or its .data."
    reads = _reads(stream)
    if not reads:
        return ("Your task stream holds no read-csv task: compute the means inside the get_task_stream "
                "block, on the lesson's cluster.")
    if len(set(reads)) < len(reads):
        return (f"Your run read {len(set(reads))} blocks of CSV {len(reads)} times in all: the files were "
                "read more than once.")
    return None


# -- 12.2: what the profile of the fixed pipeline shows --------------------------------------------


def _expected_tasks(files) -> dict[str, int]:
    """The fixed pipeline's tasks: a load and a count per month of the three, one busiest_route at the end."""
    months = len(files[:3])
    return {"load": months, "count_routes": months, "busiest_route": 1}


def _compare_profile(answer, files, longest=None, profile=None) -> str | None:
    if not isinstance(answer, dict):
        return f"The answer should be a dict from task name to number of tasks; yours is a {type(answer).__name__}."
    if not all(isinstance(value, numbers.Integral) for value in answer.values()):
        return "The dict's values should be numbers of tasks (ints)."
    expected = _expected_tasks(files)
    if "count_in_a_loop" in answer:
        return "Your counts are of the slow pipeline (count_in_a_loop): profile `fast`, the fixed one."
    if set(answer) != set(expected):
        return (f"Your counts have {len(answer)} names where {len(expected)} are expected: group the "
                "tasks by their function's name, key_split(task.key), not by their whole key.")
    wrong = [name for name in expected if answer[name] != expected[name]]
    if wrong:
        return f"Your count of {wrong[0]!r} tasks is not what one run of `fast` computes."
    results = getattr(profile, "results", None)
    if results is None:
        return ("The counts are right; now pass the Profiler too, check(..., profile=...), so the check "
                "can read the longest task from it.")
    if not results:
        return ("Your profile recorded no task: Profiler sees only Dask's local schedulers, so compute "
                "with scheduler=\"threads\" inside its with block.")
    names = {key_split(task.key) for task in results}
    if names != set(expected):
        return "Your profile is not of one run of `fast`: profile that pipeline alone."
    if (not isinstance(longest, tuple) or len(longest) != 2 or not isinstance(longest[0], str)
            or not isinstance(longest[1], numbers.Real)):
        return "longest should be a tuple (task name, seconds), e.g. (\"load\", 0.5)."
    durations = [(task.end_time - task.start_time, key_split(task.key)) for task in results]
    seconds = max(duration for duration, _ in durations)
    if longest[0] not in {name for duration, name in durations if duration == seconds}:
        return f"In your profile a task runs longer than your {longest[0]!r} one."
    if abs(longest[1] - seconds) > 1e-6 * max(1.0, seconds):
        return "Your longest task is the right one, but its time is not what the profile records for it."
    return None


EXERCISES = {
    "plot_01_best_practices": Exercise(
        compare=_compare_one_compute,
        hint="build one lazy mean per user type from the same dd.read_csv(few, dtype=trip_dtypes), "
             "compute them all with a single dask.compute(*means) inside `with get_task_stream() as s:`, "
             "and pass stream=s.data.",
        right=lambda answer: f"the mean duration of {len(answer)} user types, each file read once.",
    ),
    "plot_02_diagnosing_performance": Exercise(
        compare=_compare_profile,
        hint="compute `fast` with scheduler=\"threads\" inside `with Profiler() as p:`, count "
             "key_split(task.key) over p.results, and take the task with the largest end_time - start_time.",
        right=lambda answer: f"{sum(answer.values())} tasks of {len(answer)} kinds, and the longest one found.",
    ),
}
