"""The exercises of the Dask Bag topic (examples/04_bag).

The reference reads the JSON-lines files with plain Python (``json``), judging each line the way
the lesson does, so it shares no code with the bag it checks.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from pathlib import Path

from dask.utils import key_split

from tutorial_helpers import bikes
from tutorial_helpers.exercises import Exercise


@functools.lru_cache(maxsize=2)
def _minutes_by_usertype(json_paths: tuple[Path, ...]) -> dict[str, float]:
    """Mean minutes per user type of the usable records the DataFrame keeps: positive duration, an end station."""
    seconds, counts = defaultdict(int), defaultdict(int)
    for path in json_paths:
        with open(path) as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if any(key not in record for key in ("tripduration", "start", "user")):
                    continue
                duration = record["tripduration"]
                if not isinstance(duration, int) or duration <= 0 or "id" not in (record["end"] or {}):
                    continue
                seconds[record["user"]["type"]] += duration
                counts[record["user"]["type"]] += 1
    return {user: seconds[user] / counts[user] / 60 for user in counts}


def _compare_mean_minutes(answer, files, bag=None) -> str | None:
    if not isinstance(answer, dict):
        return f"The answer should be a dict from user type to minutes; yours is a {type(answer).__name__}."
    expected = _minutes_by_usertype(tuple(bikes.json_files(Path(files[0]).parent)))
    if set(answer) != set(expected):
        return f"Your dict has the keys {sorted(map(str, answer))}, not the user types of the clean trips."
    for user, minutes in expected.items():
        value = answer[user]
        if isinstance(value, tuple) or not isinstance(value, (int, float)):
            return f"The value for {user!r} should be one number of minutes; yours is a {type(value).__name__}."
        if math.isclose(value, minutes * 60, rel_tol=1e-9):
            return f"The value for {user!r} is in seconds, not minutes."
        if not math.isclose(value, minutes, rel_tol=1e-9):
            return (f"The mean for {user!r} is {'too high' if value > minutes else 'too low'}: "
                    "are the trips the ones the DataFrame kept?")
    if not hasattr(bag, "__dask_graph__") or not hasattr(bag, "foldby"):
        return "Pass the bag you folded as `bag` (before compute()), so the check can see how it grouped."
    steps = {key_split(key) for key in bag.__dask_graph__()}
    if "foldby-a" not in steps or any("shuffle" in step or "groupby" in step for step in steps):
        return "Your bag does not group with foldby alone: the exercise asks for foldby, which needs no shuffle."
    return None


EXERCISES = {
    "plot_01_bag_json": Exercise(
        compare=_compare_mean_minutes,
        hint="filter `trips` to positive durations with an end station, fold each user type into a "
             "(seconds, count) pair with foldby, then divide and convert to minutes.",
        right=lambda answer: f"foldby's mean minutes for {len(answer)} user types match the DataFrame's.",
    ),
}
