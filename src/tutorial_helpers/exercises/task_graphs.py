"""The exercises of the task-graphs topic (examples/05_task_graphs): what runs, and what it reads.

Each check compares the values with pandas on the same files, and the shape of the Dask work
with what the exercise asks for: 5.1 reads the tasks the cluster ran (a ``get_task_stream()``
record) to see how often the files were read, and whether the rides were persisted; 5.2 reads
the optimised plan to see which columns its read step produces.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from dask.base import is_dask_collection
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs

LONG = 30 * 60  # seconds: the lessons' long rides


@functools.lru_cache(maxsize=2)
def _trips(files: tuple[Path, ...], columns: tuple[str, ...] | None) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(path, usecols=list(columns) if columns else None) for path in files], ignore_index=True
    )


def _lazy(value) -> bool:
    return is_dask_collection(value)


# -- 5.1: two questions, one read, nothing held ------------------------------------------------------


def _long_rides_51(files) -> pd.DataFrame:
    """The lesson's ``long_rides()`` in pandas: two months, rows with any missing field dropped, > 30 min."""
    trips = _trips(tuple(files[:2]), None).dropna()  # dropna looks at every column: read them all
    return trips[trips["tripduration"] > LONG]


def _compare_compute_and_persist(answer, files, tasks=None, rides=None) -> str | None:
    if not isinstance(answer, tuple) or len(answer) != 2:
        return ("The answer should be a pair (counts, longest): the long rides per user type and the "
                f"longest ride in minutes; yours is a {type(answer).__name__}.")
    counts, longest = answer
    if _lazy(counts) or _lazy(longest):
        return "Part of your answer is still a lazy Dask object: compute both in the same call."
    rides_51 = _long_rides_51(files)
    problem = differs(counts, rides_51["usertype"].value_counts(), "The count of long rides per user type")
    if problem:
        return problem
    problem = differs(longest, rides_51["tripduration"].max() / 60, "The longest ride (in minutes)")
    if problem:
        return problem
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and "key" in t for t in tasks):
        return ("The values are right; now pass what the cluster ran too: compute inside "
                "`with get_task_stream() as stream:` and pass check(..., tasks=stream.data).")
    if rides is None or not _lazy(rides) or not hasattr(rides, "npartitions"):
        return ("The values are right; now pass the long rides you started from too, "
                "check(..., rides=...), the Dask DataFrame from long_rides().")
    from distributed import futures_of

    if futures_of(rides):
        return ("Your rides are persisted: their partitions stay on the workers for as long as the name "
                "refers to them, which the exercise asked you to avoid.")
    reads = [key_split(t["key"]) for t in tasks if key_split(t["key"]).startswith("read")]
    if not reads:
        return "The tasks you passed read no file: record the computation that answers both questions."
    if any("fused" in name for name in reads):
        return ("Your tasks include a fused read: persist() ran there, and what it computed stays on the "
                "workers as long as a name refers to it.")
    if len(reads) != rides.npartitions:
        return (f"Your computation ran {len(reads)} read tasks for {rides.npartitions} partitions: it "
                "read the files more than once.")
    return None


# -- 5.2: the read step carries only the columns the answer needs ------------------------------------


def read_columns(collection) -> list[str]:
    """The columns the read steps of ``collection``'s optimised plan produce (steps with no dependency)."""
    steps = collection.optimize(fuse=False).expr.walk()
    return sorted({str(c) for step in steps if not step.dependencies() for c in step.columns})


NEEDED_52 = ["tripduration", "usertype"]


def _compare_optimized_graphs(answer, files, plan=None) -> str | None:
    trips = _trips(tuple(files[:3]), tuple(NEEDED_52))
    long_rides = trips[trips["tripduration"] > LONG]
    want = (long_rides["tripduration"] / 60).groupby(long_rides["usertype"]).mean()
    problem = differs(answer, want, "The mean long-ride time in minutes per user type")
    if problem:
        return problem
    if plan is None or not _lazy(plan) or not hasattr(plan, "expr"):
        return ("The values are right; now pass the plan too, before compute(): check(..., plan=...), "
                "the Dask Series you computed the answer from.")
    produced = read_columns(plan)
    if produced != NEEDED_52:
        return (f"The read step of your plan produces {len(produced)} columns: the optimiser cannot see "
                "which ones your function uses.")
    return None


EXERCISES = {
    "plot_01_compute_and_persist": Exercise(
        compare=_compare_compute_and_persist,
        hint="build both questions on one long_rides() collection, pass both to a single dask.compute "
             "inside a get_task_stream() block, and do not persist().",
        right=lambda answer: "both answers from one read of the files, and nothing left on the workers.",
    ),
    "plot_02_optimized_graphs": Exercise(
        compare=_compare_optimized_graphs,
        hint="select the two columns the answer needs before map_partitions, so that the optimiser can "
             "push that selection into the read; columns_per_step shows what each step carries.",
        right=lambda answer: f"{len(answer)} user types, from a read of two columns.",
    ),
}
