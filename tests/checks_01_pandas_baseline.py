"""Results checks for the lessons in examples/01_pandas_baseline."""

import pandas as pd

from reference import assert_same_answers, clean_trips

WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


def check_pandas_first(namespace, files):
    assert_same_answers(namespace, files[:1])
    assert namespace["answer"][0] in WEEKDAYS  # the pasted solution's answer


def _quietest_day(files):
    weekday = clean_trips(files[0])["starttime"].dt.day_name()
    return {"answer": (weekday.value_counts().index[-1], 10.0)}


def _median_in_seconds(files):
    clean = clean_trips(files[0])
    weekday = clean["starttime"].dt.day_name()
    busiest = weekday.value_counts().index[0]
    return {"answer": (busiest, clean.loc[weekday == busiest, "tripduration"].median())}


def _all_trips_not_clean(files):
    trips = pd.read_csv(files[0], parse_dates=["starttime"])
    weekday = trips["starttime"].dt.day_name()
    busiest = clean_trips(files[0])["starttime"].dt.day_name().value_counts().index[0]
    return {"answer": (busiest, trips.loc[weekday == busiest, "tripduration"].mean() / 60)}


CHECKS = {"plot_01_pandas_first": check_pandas_first}
WRONG_ANSWERS = {"plot_01_pandas_first": [_quietest_day, _median_in_seconds, _all_trips_not_clean]}
