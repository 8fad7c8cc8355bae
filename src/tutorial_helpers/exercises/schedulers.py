"""The exercises of the local-schedulers topic (examples/08_schedulers): one graph, named schedulers.

8.1 computes January's mean rider age with pandas, and asks Dask which scheduler each name in
the answer selects (``dask.base.get_scheduler``): the synchronous one and the threaded one, each
once.
"""

from __future__ import annotations

import functools
import numbers
from pathlib import Path

import pandas as pd
from dask.base import get_scheduler, is_dask_collection

from tutorial_helpers.exercises import Exercise, differs

YEAR = 2019  # the trips' year: age = YEAR - birth year


@functools.lru_cache(maxsize=2)
def _mean_age(january: Path) -> float:
    birth_years = pd.read_csv(january, usecols=["birth year"])["birth year"].dropna()
    return float((YEAR - birth_years).mean())


def _scheduler(name):
    try:
        run = get_scheduler(scheduler=name)
    except (ValueError, TypeError):
        return None
    return None if run is None else f"{run.__module__}.{run.__name__}"


WANTED = {"dask.local.get_sync": "the synchronous one", "dask.threaded.get": "threads"}


def _compare_local_schedulers(answer, files) -> str | None:
    if not isinstance(answer, dict):
        return ("The answer should be a dict from scheduler name to mean age; yours is a "
                f"{type(answer).__name__}.")
    chosen = {name: _scheduler(name) for name in answer}
    unknown = [name for name, run in chosen.items() if run is None]
    if unknown:
        return f"Dask knows no scheduler named {unknown[0]!r}."
    runs = list(chosen.values())
    if sorted(runs) != sorted(WANTED):
        missing = [WANTED[run] for run in WANTED if run not in runs]
        if len(runs) != len(set(runs)):
            return "Two of your names select the same scheduler: use one name per scheduler."
        return f"Your names do not select both local schedulers asked for: {', '.join(missing) or 'one'} is missing."
    want = _mean_age(Path(files[0]))
    for name, age in answer.items():
        if is_dask_collection(age):
            return f"Your mean age for {name!r} is a lazy Dask object: compute it."
        if not isinstance(age, numbers.Real) or isinstance(age, bool):
            return f"Your mean age for {name!r} should be a number; it is a {type(age).__name__}."
        problem = differs(age, want, f"The mean age computed with {name!r}", rel=1e-9)
        if problem:
            return problem
    return None


EXERCISES = {
    "plot_01_local_schedulers": Exercise(
        compare=_compare_local_schedulers,
        hint="an empty birth year is written \"\": return None for it, filter the Nones out before the mean, "
             "and compute with scheduler='synchronous' and scheduler='threads'.",
        right=lambda answer: f"both schedulers agree: mean age {next(iter(answer.values())):.2f} years.",
    ),
}
