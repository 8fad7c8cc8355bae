"""Checks for the lessons' exercises: one call tells the learner whether their answer is right.

Each lesson ends with an exercise, a cell for the answer and a cell that checks it::

    from tutorial_helpers.exercises import check

    answer = None  # your answer, computed: replace None
    check("same_with_dask", answer)

``check`` computes a reference answer itself, independently (pandas or NumPy on the same course
data, or the facts of the Dask object the exercise is about), and compares. A right answer prints
one line that says so; a wrong one raises :class:`NotQuiteRight` with what is wrong and a hint,
never the answer itself; no answer yet (``None``) prints how to give one. It needs no network and
no cluster of its own: an answer that is a Dask collection is not computed for you, since that is
usually the mistake (the check says so).

The exercises live in one module per topic (``dataframe``, ``array``, …), each a dictionary
``EXERCISES`` from lesson name to :class:`Exercise`.
"""

from __future__ import annotations

import ast
import functools
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tutorial_helpers import bikes


class NotQuiteRight(AssertionError):
    """The answer is not right yet; the message says what is wrong and gives a hint."""


@dataclass(frozen=True)
class Exercise:
    """How to check one lesson's exercise.

    ``compare(answer, files, **given)`` returns ``None`` when the answer is right, else one
    sentence on what is wrong (it computes its own reference from ``files``, the course's trip
    files); ``hint`` follows that sentence; ``right(answer)`` is the one line printed for a right
    answer.
    """

    compare: Callable[..., str | None]
    hint: str
    right: Callable[[Any], str]


def exercises() -> dict[str, Exercise]:
    """Every lesson's exercise, by the lesson's file name without ``.py`` (e.g. ``plot_01_same_with_dask``)."""
    found: dict[str, Exercise] = {}
    for topic in exercise_names():
        found.update(importlib.import_module(f"{__name__}.{topic}").EXERCISES)
    return found


def topics_defining(lesson: str, names: dict[str, frozenset[str]] | None = None) -> list[str]:
    """The topic modules (``"dataframe"``, …) whose ``EXERCISES`` name ``lesson`` (its short name or
    file name without ``.py``): `check` imports only those, so a lesson depends on its own topic's
    checks alone (the build's staleness check reads the same). ``names``: `exercise_names`."""
    return sorted(topic for topic, defined in (exercise_names() if names is None else names).items()
                  if any(name == lesson or name.split("_", 2)[-1] == lesson for name in defined))


def exercise_names(folder: Path | None = None) -> dict[str, frozenset[str]]:
    """Each topic module's exercise names (the string keys of its ``EXERCISES`` dictionary), read
    from the sources in ``folder`` (this package's by default) without importing them."""
    names = {}
    for path in sorted((folder or Path(__file__).parent).glob("*.py")):
        if path.name != "__init__.py":
            stat = path.stat()
            names[path.stem] = _exercise_keys(path, stat.st_mtime_ns, stat.st_size)
    return names


# Every `check` call reads the names (a test session makes hundreds): each file is parsed once
# for as long as its modification time and size stay the same.
@functools.lru_cache(maxsize=256)
def _exercise_keys(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(key.value for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                     and any(isinstance(t, ast.Name) and t.id == "EXERCISES" for t in node.targets)
                     for key in node.value.keys if isinstance(key, ast.Constant) and isinstance(key.value, str))


def check(lesson: str, answer: Any, **given: Any) -> None:
    """Check ``answer`` to the exercise of ``lesson``; print one line if right, raise :class:`NotQuiteRight` if not.

    ``lesson`` is the lesson's short name as the exercise cell gives it (``"same_with_dask"``, the
    file name without ``plot_NN_``); ``given`` passes what an exercise about Dask itself needs
    (for example the collection the answer came from).
    """
    exercise = _find(lesson)
    if answer is None:
        print("No answer yet: put yours in `answer` (replace None), then run this cell again.")
        return
    if hasattr(answer, "__dask_graph__") and "lazy" not in given:
        raise NotQuiteRight(f"Your answer is a lazy Dask {type(answer).__name__}, not computed yet. "
                            "Hint: call .compute() on it (or dask.compute on several) first.")
    problem = exercise.compare(answer, bikes.trip_files(), **given)
    if problem:
        raise NotQuiteRight(f"{problem} Hint: {exercise.hint}")
    print(f"Right: {exercise.right(answer)}")


@functools.lru_cache(maxsize=4)
def _read(files: tuple[Path, ...], columns: tuple[str, ...] | None, dates: tuple[str, ...]) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(path, usecols=list(columns) if columns else None, parse_dates=list(dates)) for path in files],
        ignore_index=True,
    )


def clean_trips(files, columns: list[str] | None = None, dates: list[str] = ()) -> pd.DataFrame:
    """The lessons' cleaned trips in plain pandas, read file by file: positive durations, a known end station.

    The reference every DataFrame exercise compares with; ``columns`` (more are read when the
    cleaning needs them) and ``dates`` (columns to parse as dates) keep it quick. Cached: several
    checks in one session read the files once. Return value: a copy, free to change.
    """
    needed = None if columns is None else tuple(dict.fromkeys([*columns, "tripduration", "end station id"]))
    trips = _read(tuple(Path(f) for f in files), needed, tuple(dates))
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return (clean if columns is None else clean[list(columns)]).copy()


def minutes_by_usertype(files, *, clean: bool) -> pd.Series:
    """Mean trip duration in minutes per user type over the first three monthly files, with or
    without the lessons' cleaning: the reference of the cluster exercises (9.1, 13.1)."""
    if clean:
        trips = clean_trips(files[:3], ["usertype", "tripduration"])
    else:
        trips = _read(tuple(Path(f) for f in files[:3]), ("usertype", "tripduration"), ())
    return trips.groupby("usertype")["tripduration"].mean() / 60


def differs_in_minutes(answer: Any, expected: pd.Series, what: str) -> str | None:
    """:func:`differs` for means in minutes, which also names the commonest slip: seconds."""
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    problem = differs(answer, expected, what, rel=1e-9)
    if problem and isinstance(answer, pd.Series) and differs(answer, expected * 60, "", rel=1e-9) is None:
        return "Your means are in seconds, not minutes."
    return problem


def _find(lesson: str) -> Exercise:
    found = {name: exercise for topic in topics_defining(lesson)
             for name, exercise in importlib.import_module(f"{__name__}.{topic}").EXERCISES.items()
             if name == lesson or name.split("_", 2)[-1] == lesson}
    if len(found) != 1:
        every = sorted(name.split("_", 2)[-1] for names in exercise_names().values() for name in names)
        raise KeyError(f"no exercise named {lesson!r}: the lessons' exercises are {every}")
    return next(iter(found.values()))


# -- comparisons the topic modules share ----------------------------------------------------------


def differs(answer: Any, expected: Any, what: str, *, rel: float = 1e-6) -> str | None:
    """``None`` if ``answer`` equals ``expected`` (numbers within ``rel``), else a sentence about ``what``.

    Series are compared by index and values (order ignored), DataFrames likewise by columns too,
    numbers within a relative tolerance, anything else with ``==``. The sentence names the kind of
    difference (type, length, which labels, how far off), not the expected values.
    """
    if isinstance(expected, pd.Series):
        if not isinstance(answer, pd.Series):
            return f"{what} should be a pandas Series; yours is a {type(answer).__name__}."
        return _differs_series(answer, expected, what, rel)
    if isinstance(expected, pd.DataFrame):
        if not isinstance(answer, pd.DataFrame):
            return f"{what} should be a pandas DataFrame; yours is a {type(answer).__name__}."
        if sorted(map(str, answer.columns)) != sorted(map(str, expected.columns)):
            return f"{what} has the columns {list(answer.columns)}, not the ones asked for."
        for column in expected.columns:
            of_what = what[:1].lower() + what[1:]
            problem = _differs_series(answer[column], expected[column], f"Column {column!r} of {of_what}", rel)
            if problem:
                return problem
        return None
    if isinstance(expected, (int, float, np.number)) and not isinstance(expected, bool):
        if not isinstance(answer, (int, float, np.number)) or isinstance(answer, bool):
            return f"{what} should be a number; yours is a {type(answer).__name__}."
        if not math.isclose(float(answer), float(expected), rel_tol=rel, abs_tol=rel):
            return f"{what} is {'too high' if answer > expected else 'too low'}."
        return None
    if isinstance(expected, np.ndarray):
        answer = np.asarray(answer)
        if answer.shape != expected.shape:
            return f"{what} has the shape {answer.shape}, not the one asked for."
        return None if np.allclose(answer, expected, rtol=rel) else f"{what} has the right shape, wrong values."
    return None if answer == expected else f"{what} is not right."


def _differs_series(answer: pd.Series, expected: pd.Series, what: str, rel: float) -> str | None:
    missing = expected.index.difference(answer.index)
    extra = answer.index.difference(expected.index)
    if len(missing) or len(extra):
        return (f"{what} has {len(answer)} entries where {len(expected)} are expected "
                f"({len(missing)} missing, {len(extra)} that should not be there).")
    answer = answer.reindex(expected.index)
    if pd.api.types.is_numeric_dtype(expected) and pd.api.types.is_numeric_dtype(answer):
        close = np.isclose(answer.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=rel, equal_nan=True)
        wrong = int((~close).sum())
    else:
        wrong = int((answer.astype(str) != expected.astype(str)).sum())
    return f"{what} has the right labels, but {wrong} of its {len(expected)} values differ." if wrong else None
