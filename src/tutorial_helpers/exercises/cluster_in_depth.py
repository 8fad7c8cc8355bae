"""The exercises of the cluster-in-depth topic (examples/18_cluster_in_depth).

References come from pandas on the same trip files. What the exercises are about on the cluster
is read from the objects the learner passes: for lesson 18.1 the futures, whose tasks the check
looks up on the scheduler while the cluster runs (their retries, and the scattered table they
read); for lesson 18.2 the sorted DataFrame's plan and the task stream
recorded around the sort.
"""

from __future__ import annotations

import functools
import numbers
from pathlib import Path

import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise

# -- 18.1: shares of long rides, scattered once, retried --------------------------------------------


@functools.lru_cache(maxsize=2)
def _long_shares(first_file: Path) -> dict:
    """Share of rides over 20 minutes at January's six busiest start stations, in the lesson's order."""
    trips = pd.read_csv(first_file, usecols=["tripduration", "start station id"])
    stations = trips["start station id"].value_counts().index[:6].tolist()
    by_station = trips.groupby("start station id")["tripduration"]
    return {s: float((by_station.get_group(s) > 20 * 60).mean()) for s in stations}


def _task_facts(dask_scheduler, keys):
    """On the scheduler: each task's retries left and the keys its call reads, with whether each was scattered."""
    facts = {}
    for key in keys:
        ts = dask_scheduler.tasks.get(key)
        if ts is not None:
            inputs = getattr(ts.run_spec, "dependencies", ())
            scattered = {dep: dask_scheduler.tasks[dep].run_spec is None
                         for dep in inputs if dep in dask_scheduler.tasks}
            facts[key] = (ts.retries, sorted(map(str, inputs)), scattered)
    return facts


def _compare_long_shares(answer, files, futures=None) -> str | None:
    expected = _long_shares(Path(files[0]))
    if not isinstance(answer, dict):
        return f"The answer should be a dict from station to share; yours is a {type(answer).__name__}."
    if set(answer) != set(expected):
        return (f"Your dict has {len(set(answer) - set(expected))} stations that are not among the first six "
                f"of `stations`, and misses {len(set(expected) - set(answer))} of them.")
    if not all(isinstance(v, numbers.Real) for v in answer.values()):
        return "The dict's values should be numbers: each station's share of rides over 20 minutes."
    wrong = [s for s in expected if abs(answer[s] - expected[s]) > 1e-12]
    if wrong:
        return f"{len(wrong)} of your six shares differ from the share of rides longer than 20 minutes."
    if not isinstance(futures, (list, tuple)) or not all(type(f).__name__ == "Future" for f in futures):
        return ("The shares are right; pass the futures client.map gave you as `futures=`, while the "
                "cluster runs, so the check can see how they ran.")
    if len(futures) != len(expected):
        return f"You passed {len(futures)} futures; the six stations need one call each."
    client = futures[0].client
    if client.status != "running":
        return "Your futures' client is closed: run the check before the cluster is closed."
    facts = client.run_on_scheduler(_task_facts, keys=[f.key for f in futures])
    if len(facts) != len(futures):
        return "The scheduler no longer knows some of your futures: keep them until the check has run."
    if any(retries != 2 for retries, _, _ in facts.values()):
        return "Your calls were not submitted to be retried up to twice."
    inputs = {tuple(deps) for _, deps, _ in facts.values()}
    scattered = {dep: was for _, _, known in facts.values() for dep, was in known.items()}
    if len(inputs) != 1 or len(next(iter(inputs))) != 1 or not all(scattered.values()):
        return "Your calls do not all read one scattered copy of the trips: scatter the table once, pass its future."
    return None


# -- 18.2: a sort into a given number of partitions, on the dashboard --------------------------------

_SORT_PARTITIONS = 4


@functools.lru_cache(maxsize=2)
def _two_months(files: tuple[Path, ...]) -> int:
    return sum(len(pd.read_csv(path, usecols=["tripduration"])) for path in files)


def _sorts(collection):
    """The sort steps in a Dask DataFrame's plan: (columns sorted by, requested partitions)."""
    return [(list(step.by), step.operand("npartitions")) for step in collection.expr.walk()
            if type(step).__name__ == "SortValues"]


def _compare_sorted_rows(answer, files, sorted_trips=None, stream=None) -> str | None:
    if not isinstance(answer, pd.Series):
        return f"The answer should be a pandas Series of rows per output partition; yours is a {type(answer).__name__}."
    if len(answer) != _SORT_PARTITIONS:
        return f"Your sort has {len(answer)} output partitions; the exercise asks for {_SORT_PARTITIONS}."
    total = _two_months(tuple(Path(f) for f in files[:2]))
    if int(answer.sum()) != total:
        return (f"Your partitions hold {'more' if answer.sum() > total else 'fewer'} rows than the trips of "
                "January and February: sort the two months' trips, all of them.")
    if (answer == 0).any():
        return "Some of your output partitions are empty: the sort splits the rides by their length."
    if not hasattr(sorted_trips, "expr"):
        return ("The row counts add up; pass the sorted Dask DataFrame, before compute(), as "
                "`sorted_trips=`, so the check can see the sort.")
    sorts = _sorts(sorted_trips)
    if not any(by == ["tripduration"] for by, _ in sorts):
        return "The DataFrame you passed is not sorted by tripduration."
    records = getattr(stream, "data", None)
    if not isinstance(records, list):
        return ("Record the sort with `get_task_stream()` and pass the stream as `stream=`, so the check "
                "can see what ran on the cluster.")
    names = {key_split(record["key"]) for record in records}
    if not {"shuffle-transfer", "shuffle-barrier"} <= names:
        return "The stream you passed shows no shuffle on the cluster: record the sort itself."
    return None


EXERCISES = {
    "plot_01_futures_in_depth": Exercise(
        compare=_compare_long_shares,
        hint="scatter `trips` once with broadcast=True, then client.map(your_function, [its future] * 6, "
             "stations[:6], retries=2), and gather.",
        right=lambda answer: f"the shares of long rides at {len(answer)} stations, from one scattered table, "
                             "with retries.",
    ),
    "plot_02_reading_the_dashboard": Exercise(
        compare=_compare_sorted_rows,
        hint="read both files with read_options, sort_values(\"tripduration\", npartitions=4), count rows "
             "with map_partitions(len), all inside the `with` that records the stream.",
        right=lambda answer: f"{int(answer.sum()):,} trips sorted into {len(answer)} partitions, with a shuffle "
                             "on the cluster.",
    ),
}
