"""The exercise of the "your code" topic (examples/14_your_code): each station's busiest day, with Xarray on Dask.

The check counts trips per station per day with pandas from the same files (every trip, as the
lesson's table does), takes each station's busiest day and its count, and compares. Since the
exercise is about Xarray on Dask, the learner passes the two lazy results too, before computing:
they must be Dask-backed reductions over ``day``, one value per station.
"""

from __future__ import annotations

import pandas as pd

from tutorial_helpers.exercises import Exercise, differs

_COLUMNS = ["starttime", "start station name"]


def _busiest_days(files) -> pd.DataFrame:
    """Per start station: the first day with its most trips, and that count (days without trips count 0)."""
    trips = pd.concat([pd.read_csv(path, usecols=_COLUMNS, parse_dates=["starttime"]) for path in files],
                      ignore_index=True)
    per_day = trips.groupby([trips["start station name"], trips["starttime"].dt.floor("D")]).size()
    grid = per_day.unstack(fill_value=0).sort_index(axis=1)
    return pd.DataFrame({"day": grid.idxmax(axis=1), "trips": grid.max(axis=1)})


def _compare_busiest_days(answer, files, lazy_parts=None) -> str | None:
    if not isinstance(answer, pd.DataFrame):
        return f"The answer should be a pandas DataFrame, one row per station; yours is a {type(answer).__name__}."
    if set(map(str, answer.columns)) != {"day", "trips"}:
        return f"The answer has the columns {list(answer.columns)}; the exercise asks for 'day' and 'trips'."
    expected = _busiest_days(files)
    if len(answer) < len(expected) and set(answer.index) <= set(expected.index):
        return f"Your table has {len(answer)} rows: put every station in answer, and print the top three from it."
    if isinstance(answer.index, pd.DatetimeIndex):
        return "Your table has one row per day: reduce along 'day', for one row per station."
    if not pd.api.types.is_datetime64_any_dtype(answer["day"]):
        return ("The 'day' column should hold dates, the labels of the day coordinate (idxmax), not "
                f"{answer['day'].dtype} values such as positions (argmax).")
    problem = differs(answer["trips"], expected["trips"], "Your 'trips' column")
    if problem:
        return problem
    problem = differs(answer["day"].dt.strftime("%Y-%m-%d"), expected["day"].dt.strftime("%Y-%m-%d"),
                      "Your 'day' column")
    if problem:
        return problem
    if lazy_parts is None:
        return ("The table is right; now pass the two lazy results too, before computing, "
                "check(..., lazy_parts=(busiest_day, most_trips)).")
    if not isinstance(lazy_parts, (tuple, list)) or len(lazy_parts) != 2:
        return "lazy_parts should be a tuple of your two lazy results, the idxmax and the max."
    for part in lazy_parts:
        if not hasattr(part, "dims") or not hasattr(part, "chunks"):
            return f"lazy_parts should hold Xarray DataArrays; one is a {type(part).__name__}."
        if part.chunks is None:
            return ("One of your lazy results holds a NumPy array, not a Dask one: reduce the chunked "
                    "`ds`, not `trips_per_day`.")
        if tuple(part.dims) != ("station",):
            return f"One of your lazy results has the dimensions {tuple(part.dims)}: reduce along 'day' only."
    return None


EXERCISES = {
    "plot_01_decision_guide": Exercise(
        compare=_compare_busiest_days,
        hint="take ds[\"trips\"].idxmax(\"day\") and ds[\"trips\"].max(\"day\"), compute both with one "
             "dask.compute, and put their to_series() into a DataFrame with the columns day and trips.",
        right=lambda answer: f"the busiest day and its trips for all {len(answer)} stations, from the chunked ds.",
    ),
}
