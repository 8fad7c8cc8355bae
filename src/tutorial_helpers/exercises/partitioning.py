"""The exercises of the partitioning topic (examples/06_partitioning): how data is cut.

6.1 counts trips per day with pandas on the same files (the month's file), and reads the selection the answer came
from: its divisions must be known and it must hold only the partitions of the months the week
lies in. 6.2 asks Dask's own chunking rule (``normalize_chunks``) what ``chunks="auto"`` makes of
the lesson's array, and compares with the array the learner passes.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from dask.base import is_dask_collection

from tutorial_helpers.exercises import Exercise, differs

# -- 6.1: trips per day of the first week of July, read from one partition --------------------------

WEEK = (pd.Timestamp("2019-07-01"), pd.Timestamp("2019-07-08"))  # the first week of July, end excluded


@functools.lru_cache(maxsize=2)
def _start_times(files: tuple[Path, ...]) -> pd.Series:
    return pd.concat(
        # pyarrow's reader parses the timestamps on several threads: the learner waits for this.
        [pd.to_datetime(pd.read_csv(path, usecols=["starttime"], engine="pyarrow")["starttime"]) for path in files],
        ignore_index=True,
    )


def _files_of_the_week(files) -> tuple[Path, ...]:
    """The monthly files that hold the week's trips: named by their start month, as Bluebikes names them."""
    months = {f"{day:%Y%m}" for day in pd.date_range(WEEK[0], WEEK[1] - pd.Timedelta(days=1))}
    named = tuple(Path(f) for f in files if Path(f).name[:6] in months)
    return named or tuple(Path(f) for f in files)  # other names: read them all


def _compare_partitions_and_chunks(answer, files, week=None) -> str | None:
    starts = _start_times(_files_of_the_week(files))
    in_week = starts[(starts >= WEEK[0]) & (starts < WEEK[1])]
    want = in_week.dt.day.value_counts()
    problem = differs(answer, want, "The Series of trips per day")
    if problem:
        return problem
    if week is None or not is_dask_collection(week) or not hasattr(week, "npartitions"):
        return ("The counts are right; now pass the week you selected too, before compute(): "
                "check(..., week=...), the Dask DataFrame from by_time.loc.")
    if not week.known_divisions:
        return ("Your week's divisions are unknown, so Dask must read every partition to find it: "
                "select from by_time, whose index is the start time.")
    months = in_week.dt.to_period("M").nunique()
    if week.npartitions > months:
        return (f"Your selection reads {week.npartitions} partitions, more than the months the week lies "
                "in: select by the index with .loc, so that the divisions rule the others out.")
    return None


# -- 6.2: the chunks Dask chooses by itself ------------------------------------------------------------

N_POINTS = 5_000_000  # the lesson's array: N_POINTS × 2 float64 numbers


def _compare_partition_size(answer, files, array=None) -> str | None:
    from dask.array.core import normalize_chunks

    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        return f"The answer should be a number of chunks, an int; yours is a {type(answer).__name__}."
    if array is None or not is_dask_collection(array) or not hasattr(array, "chunks"):
        return ("Pass the array too, check(..., array=...), the Dask Array made without a chunks "
                "argument, so the check can see how it is cut.")
    if array.shape != (N_POINTS, 2):
        return f"Your array has the shape {array.shape}; the lesson's has n_points rows of 2 coordinates."
    auto = normalize_chunks("auto", (N_POINTS, 2), dtype=np.float64)
    if array.chunks != auto:
        return "Your array is not cut the way Dask cuts it by itself: leave out chunks= (or pass chunks='auto')."
    if answer != len(auto[0]):
        if answer == len(array.chunks):
            return "Your number is how many axes the array has, not how many chunks it has."
        if answer == array.chunksize[0]:
            return "Your number is how many points one chunk holds, not how many chunks there are."
        return "Your number of chunks is not the number of blocks Dask cut the array into."
    return None


EXERCISES = {
    "plot_01_partitions_and_chunks": Exercise(
        compare=_compare_partitions_and_chunks,
        hint="select by_time.loc[first day:last day] (a date slice includes its last day), then count "
             "trips per day of the month from the index.",
        right=lambda answer: f"{int(answer.sum()):,} trips over {len(answer)} days, read from the partitions "
                             "that hold the week.",
    ),
    "plot_02_partition_size": Exercise(
        compare=_compare_partition_size,
        hint="make the array without chunks= and read its numblocks (or chunks) along the rows.",
        right=lambda answer: f"Dask cuts the {N_POINTS:,} points into {answer} chunk(s) by itself.",
    ),
}
