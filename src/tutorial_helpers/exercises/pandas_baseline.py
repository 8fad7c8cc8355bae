"""The exercise of the pandas baseline topic (examples/01_pandas_baseline)."""

from __future__ import annotations

import math

from tutorial_helpers.exercises import Exercise, clean_trips


def _compare_busiest_weekday(answer, files) -> str | None:
    if not (isinstance(answer, tuple) and len(answer) == 2):
        return "The answer should be a pair: (day name, median minutes)."
    day, minutes = answer
    clean = clean_trips(files[:1], ["starttime", "tripduration"], dates=["starttime"])
    weekday = clean["starttime"].dt.day_name()
    per_weekday = weekday.value_counts()
    if day not in per_weekday.index:
        return f"{day!r} is not a day name as pandas writes them (dt.day_name(): 'Monday', …)."
    if per_weekday[day] < per_weekday.max():
        return f"{day} is not the day with the most trips in the first month's clean trips."
    median = clean.loc[weekday == day, "tripduration"].median() / 60
    if not isinstance(minutes, (int, float)) or not math.isclose(minutes, median, rel_tol=1e-9):
        off = "in seconds, not minutes?" if isinstance(minutes, (int, float)) and math.isclose(minutes, median * 60) else "off."
        return f"The day is right; the median duration is {off}"
    return None


EXERCISES = {
    "plot_01_pandas_first": Exercise(
        compare=_compare_busiest_weekday,
        hint="count `clean['starttime'].dt.day_name()`, then take the median `tripduration` of the "
             "trips on the busiest day and divide it by 60.",
        right=lambda answer: f"{answer[0]} is the busiest day; its median trip lasts {answer[1]:.1f} minutes.",
    ),
}
