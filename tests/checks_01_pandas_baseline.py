"""Results checks for the lessons in examples/01_pandas_baseline."""

from reference import assert_same_answers

WEEKDAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


def check_pandas_first(namespace, files):
    assert_same_answers(namespace, files[:1])
    assert namespace["busiest_day"] in WEEKDAYS


CHECKS = {"plot_01_pandas_first": check_pandas_first}
