"""The exercises of the DataFrame-in-depth topic (examples/15_dataframe_depth): joins, sorts, shuffles, windows.

Each check recomputes the answer with plain pandas from the same trip files, read as the lesson
reads them (the raw rows: these lessons do not clean the trips), and compares. These exercises are
about how Dask runs the work, so each check also reads the Dask object the answer came from, passed
as a keyword: the plan it would run (optimised, not computed: a join that broadcasts, a
``drop_duplicates`` that does not shuffle, a rolling window that borrows rows from the neighbouring
partition), its divisions (a selection by a sorted index, daily counts cut at midnight), or, for
an aggregation of your own, what it gives on the reference data cut into partitions.
"""

from __future__ import annotations

import numbers

import dask
import dask.dataframe as dd
import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs

_SHUFFLE_WORDS = ("shuffle", "hash-join", "hashjoin")


def _is_dask(value) -> bool:
    return hasattr(value, "__dask_graph__") and hasattr(value, "optimize")


def plan_names(collection) -> set[str]:
    """The names of the tasks in the plan Dask would run for ``collection`` (optimised, not computed).

    Not fused, so that every step keeps its own name (a fused task is named after one of its steps).
    """
    return {key_split(key) for key in collection.optimize(fuse=False).__dask_graph__().keys()}


def shuffles(collection) -> bool:
    """Whether the plan of ``collection`` moves rows between partitions (P2P, tasks or disk shuffle, hash join)."""
    return any(word in name for name in plan_names(collection) for word in _SHUFFLE_WORDS)


def _read(files, columns, dates=()) -> pd.DataFrame:
    return pd.concat([pd.read_csv(path, usecols=columns, parse_dates=list(dates)) for path in files],
                     ignore_index=True)


# -- 15.1: starts per dock, by neighbourhood, through a broadcast join ---------------------------


def _compare_starts_per_dock(answer, files, stations=None, collection=None) -> str | None:
    if not isinstance(stations, pd.DataFrame) or not {"station id", "capacity", "neighbourhood"} <= set(stations):
        return ("Pass the lesson's station table too, check(..., stations=stations, collection=...): "
                "the check reads each station's capacity and neighbourhood from it.")
    starts = _read(files[:2], ["start station id"])["start station id"]
    if not set(starts.unique()) <= set(stations["station id"]):
        return "The station table passed as `stations` misses stations of the trips: pass the lesson's `stations`."
    neighbourhood = starts.map(stations.set_index("station id")["neighbourhood"])
    expected = neighbourhood.value_counts() / stations.groupby("neighbourhood")["capacity"].sum()
    problem = differs(answer, expected, "Your series of starts per dock", rel=1e-9)
    if problem:
        counts = neighbourhood.value_counts()
        if isinstance(answer, pd.Series) and differs(answer, counts, "", rel=1e-9) is None:
            return "Those are the numbers of trip starts, not yet divided by each neighbourhood's capacity."
        return problem
    if not _is_dask(collection):
        return ("The values are right; now pass the Dask collection you computed them from too, "
                "check(..., collection=...), so the check can read its plan.")
    names = plan_names(collection)
    if not any("merge" in name for name in names):
        return "The values are right, but the collection passed has no join in its plan: pass the one you computed."
    if any(word in name for name in names for word in _SHUFFLE_WORDS):
        return ("The values are right, but your plan shuffles: either the join is a hash join "
                "or the counts are split over several output partitions.")
    return None


# -- 15.2: one day's trips, selected by a sorted index -------------------------------------------


def _compare_one_day(answer, files, selection=None) -> str | None:
    if not isinstance(answer, numbers.Integral) or isinstance(answer, bool):
        return f"The answer should be a number of trips, an int; yours is a {type(answer).__name__}."
    start = _read(files[:1], ["starttime"], ["starttime"])["starttime"]
    day = pd.Timestamp("2019-01-15")
    expected = int(((start >= day) & (start < day + pd.Timedelta("1D"))).sum())
    if answer != expected:
        return f"Your count of trips on 15 January is {'too high' if answer > expected else 'too low'}."
    if not _is_dask(selection):
        return ("The count is right; now pass the Dask selection you counted too, check(..., selection=...), "
                "so the check can read its divisions.")
    if not selection.known_divisions:
        return ("The count is right, but your selection's divisions are unknown: it filtered every "
                "partition instead of selecting by a sorted index.")
    if not pd.api.types.is_datetime64_any_dtype(selection.index.dtype):
        return "The count is right, but your selection is not indexed by start time."
    first, last = pd.Timestamp(selection.divisions[0]), pd.Timestamp(selection.divisions[-1])
    if first < day or last >= day + pd.Timedelta("1D"):
        return "The count is right, but your selection's divisions reach beyond 15 January: select by the index with loc."
    return None


# -- 15.3: distinct pairs without a shuffle ------------------------------------------------------

_PAIR = ["start station name", "usertype"]


def _compare_distinct_pairs(answer, files, collection=None) -> str | None:
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be a pandas DataFrame of the distinct pairs; yours is a {type(answer).__name__}."
    if sorted(map(str, answer.columns)) != sorted(_PAIR):
        return f"Your pairs have the columns {list(answer.columns)}, not {_PAIR}."
    got = list(answer[_PAIR].itertuples(index=False, name=None))
    if len(set(got)) < len(got):
        return f"{len(got) - len(set(got))} of your rows repeat a pair: keep each pair once."
    expected = set(_read(files[:1], _PAIR)[_PAIR].drop_duplicates().itertuples(index=False, name=None))
    extra, missing = set(got) - expected, expected - set(got)
    if extra or missing:
        return (f"Your pairs are not January's: {len(missing)} missing, {len(extra)} that do not occur "
                "in January's trips.")
    if not _is_dask(collection):
        return ("The pairs are right; now pass the Dask collection you computed them from too, "
                "check(..., collection=...), so the check can read its plan.")
    if not set(_PAIR) <= set(map(str, collection.columns)):
        return "The pairs are right, but the collection passed is not the one they came from."
    if shuffles(collection):
        return "The pairs are right, but your plan shuffles: drop_duplicates has spread its result over several partitions."
    return None


# -- 15.4: a 3-day centred rolling mean of trips per day -----------------------------------------


def _compare_three_day_mean(answer, files, collection=None) -> str | None:
    start = _read(files[:2], ["starttime"], ["starttime"])["starttime"]
    per_day = pd.Series(1, index=pd.DatetimeIndex(start)).sort_index().resample("1D").count()
    expected = per_day.rolling(3, center=True).mean()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    problem = differs(answer, expected, "Your series of 3-day means", rel=1e-9)
    if problem:
        if isinstance(answer, pd.Series) and len(answer) == len(expected):
            shifted = answer.copy()
            shifted.index = expected.index
            if differs(shifted.shift(-1), expected, "", rel=1e-9) is None:
                return "Your means are each labelled with the last day of their window, not the middle one."
        return problem
    if not _is_dask(collection):
        return ("The values are right; now pass the Dask series of the rolling mean too, "
                "check(..., collection=...), so the check can read its divisions and plan.")
    if not collection.known_divisions:
        return ("The values are right, but your series' divisions are unknown: start from the time index "
                "`by_time`, whose divisions Dask knows.")
    divisions = [pd.Timestamp(d) for d in collection.divisions]
    if divisions != sorted(divisions) or any(d != d.floor("D") for d in divisions):
        return "The values are right, but your series' partitions are not cut at midnight: resample by day first."
    if collection.npartitions > 1 and not any(name.startswith("overlap") for name in plan_names(collection)):
        return ("The values are right, but the collection passed borrows no rows across partitions: "
                "pass the rolling mean itself.")
    return None


# -- 15.5: a mean of your own, as a dd.Aggregation -----------------------------------------------


def _compare_custom_mean(answer, files, aggregation=None) -> str | None:
    trips = _read(files[:1], ["usertype", "tripduration"])
    expected = trips.groupby("usertype")["tripduration"].mean()
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    problem = differs(answer, expected, "Your mean per user type", rel=1e-9)
    if problem:
        if isinstance(answer, pd.Series) and differs(answer, expected / 60, "", rel=1e-9) is None:
            return "Your means are in minutes; the durations are in seconds."
        return problem
    if not isinstance(aggregation, dd.Aggregation):
        return ("The means are right; now pass your dd.Aggregation too, check(..., aggregation=...), "
                "so the check can run it on data of its own.")
    parts = 5  # not the lesson's three: the Aggregation must work for any partitioning
    pieces = dd.from_pandas(trips, npartitions=parts, sort=False).groupby("usertype")["tripduration"]
    try:
        own = dask.compute(pieces.agg(aggregation), scheduler="sync")[0]
    except Exception as error:  # the learner's code: say how it failed, briefly
        return f"The means are right, but your Aggregation fails on {parts} partitions ({type(error).__name__})."
    if differs(own, expected, "", rel=1e-9):
        return f"The means are right, but your Aggregation gives other values on the same trips in {parts} partitions."
    return None


EXERCISES = {
    "plot_01_joins": Exercise(
        compare=_compare_starts_per_dock,
        hint="merge the trips with the pandas station table (a broadcast), count the starts per "
             "neighbourhood with value_counts(split_out=1), and divide by each neighbourhood's total "
             "capacity from the station table itself.",
        right=lambda answer: f"starts per dock for {len(answer)} neighbourhoods, from a join that moved no trips.",
    ),
    "plot_02_sorting_and_divisions": Exercise(
        compare=_compare_one_day,
        hint="index the trips by start time with set_index, select the day with .loc[\"2019-01-15\"] "
             "and count it with len().",
        right=lambda answer: f"{answer:,} trips on 15 January, selected by the divisions.",
    ),
    "plot_03_shuffles": Exercise(
        compare=_compare_distinct_pairs,
        hint="ask drop_duplicates for its result in one partition (split_out=1), and confirm with "
             "shuffles(...) before computing.",
        right=lambda answer: f"{len(answer)} distinct pairs, found by a plan without a shuffle.",
    ),
    "plot_04_time_series": Exercise(
        compare=_compare_three_day_mean,
        hint="resample `by_time` by day and count, then rolling(3, center=True).mean() on that Dask "
             "series, and compute it.",
        right=lambda answer: f"3-day means for {len(answer)} days; the highest is around "
                             f"{answer.idxmax():%d %b}.",
    ),
    "plot_05_your_own_functions": Exercise(
        compare=_compare_custom_mean,
        hint="Dask calls chunk on each partition's groups and agg on all partitions' partial results "
             "together: a mean of partial means is not the mean, a sum and a count add up. Keep seconds.",
        right=lambda answer: f"the mean duration of {len(answer)} user types, from an Aggregation that "
                             "works in any partitioning.",
    ),
}
