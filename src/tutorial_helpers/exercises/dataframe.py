"""The exercises of the Dask DataFrame topic (examples/02_dataframe)."""

from __future__ import annotations

import pandas as pd

from tutorial_helpers.exercises import Exercise, clean_trips, differs

_DATES = ("datetime64", "timestamp")


def _customer_share(files) -> pd.Series:
    """Each start station's share of customer (non-subscriber) trips, among stations with 1 % of the trips or more."""
    clean = clean_trips(files, ["start station name", "usertype"])
    by_station = (clean["usertype"] == "Customer").groupby(clean["start station name"]).agg(["sum", "count"])
    busy = by_station[by_station["count"] >= 0.01 * len(clean)]
    return busy["sum"] / busy["count"]


def _compare_top_customer_station(answer, files) -> str | None:
    if not isinstance(answer, str):
        return f"The answer should be the station's name, a str; yours is a {type(answer).__name__}."
    share = _customer_share(files)
    if answer not in share.index:
        return f"{answer!r} is not among the stations with at least 1 % of the (clean) trips."
    if share[answer] < share.max():
        return f"{answer!r} has a customer share of {share[answer]:.1%}, and another busy station has more."
    return None


def _parses_dates(collection) -> bool:
    """Whether any step of a Dask DataFrame collection's plan holds a column of dates (read with parse_dates)."""
    frames = (getattr(step, "_meta", None) for step in collection.expr.walk())
    return any(
        any(kind in str(dtype) for kind in _DATES for dtype in frame.dtypes)
        for frame in frames if isinstance(frame, pd.DataFrame)
    )


def _compare_counts_with_dates(answer, files, counts=None) -> str | None:
    stations = clean_trips(files, ["start station name"])["start station name"]
    problem = differs(answer, stations.value_counts(), "Your count of trips per start station")
    if problem:
        return problem
    if counts is None or not hasattr(counts, "expr"):
        return ("Pass the Dask Series your answer came from as `counts` (before compute()), "
                "so the check can see how it reads the files.")
    if not _parses_dates(counts):
        return "Your Dask Series reads the files without parse_dates: the exercise parses the two date columns."
    return None


EXERCISES = {
    "plot_01_same_with_dask": Exercise(
        compare=_compare_top_customer_station,
        hint="count trips per station from `clean` (not `trips`), keep the stations with at least "
             "1 % of all clean trips, and divide their customer trips by their trips.",
        right=lambda answer: f"{answer!r} has the highest customer share among the busy stations.",
    ),
    "plot_02_dask_vs_pandas": Exercise(
        compare=_compare_counts_with_dates,
        hint="read all twelve files with dd.read_csv and parse_dates for starttime and stoptime, "
             "keep the clean trips (positive duration, an end station), and count them per start station.",
        right=lambda answer: f"trips per start station for {len(answer)} stations, read with dates.",
    ),
}
