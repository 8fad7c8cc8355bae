"""The exercises of the input/output topic (examples/07_io): read only what the question needs.

7.1 counts April's customer trips per start station with pandas from the CSV files the lesson's
Parquet copy was made of, and reads the plan the answer came from: its read step must produce
the one column the answer needs, with ``filters=`` choosing the rows.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from dask.base import is_dask_collection

from tutorial_helpers.exercises import Exercise

APRIL = (pd.Timestamp("2019-04-01"), pd.Timestamp("2019-05-01"))
TOP = 5


@functools.lru_cache(maxsize=2)
def _april_customer_counts(files: tuple[Path, ...]) -> pd.Series:
    # pyarrow's reader parses on several threads: the learner waits for this.
    trips = pd.concat(
        [pd.read_csv(path, usecols=["starttime", "usertype", "start station name"], engine="pyarrow")
         for path in files],
        ignore_index=True,
    )
    trips["starttime"] = pd.to_datetime(trips["starttime"])
    keep = (trips["usertype"] == "Customer") & (trips["starttime"] >= APRIL[0]) & (trips["starttime"] < APRIL[1])
    return trips.loc[keep, "start station name"].value_counts()


def _read_steps(plan):
    return [step for step in plan.optimize(fuse=False).expr.walk() if not step.dependencies()]


def _filters(plan) -> list:
    found = []
    for step in plan.expr.walk():
        if "filters" in getattr(step, "_parameters", []) and step.operand("filters"):
            found.append(step.operand("filters"))
    return found


def _compare_csv_and_parquet(answer, files, plan=None) -> str | None:
    if not isinstance(answer, pd.Series):
        return ("The answer should be a pandas Series of customer trips indexed by station name; yours is "
                f"a {type(answer).__name__}.")
    counts = _april_customer_counts(tuple(files[:4]))  # the four months of the lesson's Parquet copy
    size = min(TOP, len(counts))
    if len(answer) != size:
        return f"Your answer holds {len(answer)} stations, not the top {TOP}."
    unknown = [name for name in answer.index if name not in counts.index]
    if unknown:
        return f"{len(unknown)} of your stations had no customer trip in April."
    wrong = int((answer.to_numpy(dtype=float) != counts.loc[answer.index].to_numpy(dtype=float)).sum())
    if wrong:
        return f"{wrong} of your counts differ from the customer trips those stations had in April."
    if answer.min() < counts.iloc[size - 1]:
        return "A station with more customer trips in April than one of yours is missing."
    if plan is None or not is_dask_collection(plan) or not hasattr(plan, "expr"):
        return ("The counts are right; now pass the plan too, before compute(): check(..., plan=...), "
                "the Dask Series you computed the answer from.")
    produced = sorted({str(c) for step in _read_steps(plan) for c in step.columns})
    if produced != ["start station name"]:
        return (f"The read step of your plan produces {len(produced)} columns: filter with filters= "
                "and read only the column the answer counts.")
    if not _filters(plan):
        return "Your plan reads without filters=: let the Parquet reader choose the rows."
    return None


EXERCISES = {
    "plot_01_csv_and_parquet": Exercise(
        compare=_compare_csv_and_parquet,
        hint="dd.read_parquet(parquet_folder, columns=[...], filters=[...]) with one tuple per condition "
             "(customers, start time from April 1st, before May 1st), then value_counts().nlargest(5).",
        right=lambda answer: f"the top {len(answer)} stations, from a read of one column with filters.",
    ),
}
