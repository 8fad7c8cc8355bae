"""The exercises of the existing-code topic (examples/17_existing_code).

Lesson 17.1's reference is the bootstrap written out again in plain Python, on the same
stations, rides and seeds read from the first trip file with pandas; the check reads the
``Delayed`` the learner passes to see that the widest interval was found in the same graph as
the 500-resample intervals. Lesson 17.2's reference is scikit-learn's default run of the wide
grid, in this process, on the same sample of June; the task stream the learner recorded shows
how many fits the cluster ran (joblib's Dask backend names each task after the batch of calls
it runs: ``batch_of__fit_and_score_<n>_calls``).
"""

from __future__ import annotations

import functools
import random
import re
import statistics
from pathlib import Path

import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise

# -- 17.1: the least certain median, found in the same graph ---------------------------------------


def _bootstrap_median(durations, seed, n_resamples=200):
    """The lesson's bootstrap, written out again: a 90 % interval for the median of ``durations``."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(durations, k=len(durations))) for _ in range(n_resamples))
    return medians[n_resamples // 20], medians[-(n_resamples // 20) - 1]


@functools.lru_cache(maxsize=2)
def _station_rides(first_file: Path) -> tuple[list[str], list[list[int]]]:
    """The 16 stations with the most day-pass rides in January, and their ride times, as the lesson picks them."""
    trips = pd.read_csv(first_file, usecols=["start station name", "tripduration", "usertype"])
    customers = trips[trips["usertype"] == "Customer"]
    stations = customers["start station name"].value_counts().index[:16].tolist()
    by_station = customers.groupby("start station name")["tripduration"]
    return stations, [by_station.get_group(station).tolist() for station in stations]


@functools.lru_cache(maxsize=2)
def _widths(first_file: Path) -> dict[str, int]:
    stations, rides = _station_rides(first_file)
    intervals = [_bootstrap_median(r, seed, 500) for seed, r in enumerate(rides)]
    return {station: high - low for station, (low, high) in zip(stations, intervals)}


def _compare_least_certain(answer, files, plan=None) -> str | None:
    if not isinstance(answer, str):
        return f"The answer should be a station's name, a str; yours is a {type(answer).__name__}."
    widths = _widths(Path(files[0]))
    if answer not in widths:
        return f"{answer!r} is not one of the 16 stations in `stations`."
    if widths[answer] < max(widths.values()):
        return f"{answer!r} does not have the widest 500-resample interval of the 16 stations."
    if type(plan).__name__ != "Delayed":
        return ("The station is right; pass the Delayed that finds it, before compute(), as `plan=`, "
                "so the check can see the graph.")
    graph = dict(plan.__dask_graph__())
    boots = [key for key in graph if key_split(key) == "bootstrap_median"]
    if len(boots) != len(widths):
        return f"The graph of `plan` has {len(boots)} bootstrap_median tasks, not one per station."
    if not all(500 in (*graph[key].args, *graph[key].kwargs.values()) for key in boots):
        return "Some bootstrap_median tasks in `plan` do not draw 500 resamples."
    if not set(boots) <= set(graph[plan.key].dependencies):
        return "The task that gives `plan`'s result does not take all the intervals as its input."
    return None


# -- 17.2: the wide grid through joblib's Dask backend ----------------------------------------------

# The exercise's grid and folds (tests/checks_17_existing_code.py builds its wrong answers from them).
WIDE_GRID = {"max_depth": [4, 12], "min_samples_leaf": [1, 20], "n_estimators": [5, 10]}
FOLDS = 2


@functools.lru_cache(maxsize=2)
def _default_best(june: Path) -> dict:
    """scikit-learn's default run (one process, no Dask) of the wide grid on the lesson's sample of June."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GridSearchCV

    columns = ["starttime", "tripduration", "start station latitude", "start station longitude",
               "usertype", "birth year", "gender"]
    sample = pd.read_csv(june, usecols=columns, parse_dates=["starttime"]).sample(frac=0.03, random_state=0)
    features = pd.DataFrame({
        "hour": sample["starttime"].dt.hour,
        "weekday": sample["starttime"].dt.day_of_week,
        "minutes": sample["tripduration"] / 60,
        "latitude": sample["start station latitude"],
        "longitude": sample["start station longitude"],
        "birth year": sample["birth year"].fillna(0),
        "gender": sample["gender"],
    })
    search = GridSearchCV(RandomForestClassifier(random_state=0), WIDE_GRID, cv=FOLDS)
    return search.fit(features, sample["usertype"]).best_params_


_BATCH = re.compile(r"batch_of__fit_and_score_(\d+)_calls")


def _compare_wide_search(answer, files, stream=None) -> str | None:
    if not isinstance(answer, tuple) or len(answer) != 2 or not isinstance(answer[1], dict):
        return "The answer should be a pair: (the number of fits, the search's best_params_ dict)."
    n_fits, best = answer
    candidates = 1
    for values in WIDE_GRID.values():
        candidates *= len(values)
    if n_fits != candidates * FOLDS + 1:
        return (f"The search makes {'more' if n_fits < candidates * FOLDS + 1 else 'fewer'} fits than "
                f"{n_fits}: count every candidate on every fold, and the refit.")
    if set(best) != set(WIDE_GRID):
        return f"Your best parameters name {sorted(best)}, not the three of the wide grid."
    if best != _default_best(Path(files[5])):
        return "Your best parameters are not the ones scikit-learn's default run of the wide grid finds."
    records = getattr(stream, "data", None)
    if not isinstance(records, list):
        return ("The answer is right; record the search on the cluster with `get_task_stream()` and "
                "pass it as `stream=`, so the check can see where the fits ran.")
    ran = sum(int(m.group(1)) for r in records if (m := _BATCH.fullmatch(key_split(r["key"]))))
    if ran != candidates * FOLDS:
        return (f"The stream you passed shows {ran} cross-validation fits run on the cluster, not the "
                "wide search's: run it inside `with joblib.parallel_config(backend=\"dask\"):`.")
    return None


EXERCISES = {
    "plot_01_pools_to_dask": Exercise(
        compare=_compare_least_certain,
        hint="make one dask.delayed(bootstrap_median)(rides, seed, 500) per station, give the list of them "
             "to one dask.delayed(widest)(...), and compute that.",
        right=lambda answer: f"{answer!r} has the widest 500-resample interval, found in one graph.",
    ),
    "plot_02_sklearn_on_cluster": Exercise(
        compare=_compare_wide_search,
        hint="GridSearchCV makes one fit per candidate and fold plus one refit of the best; run it with "
             "n_jobs=-1 inside joblib.parallel_config(backend=\"dask\") and get_task_stream().",
        right=lambda answer: f"{answer[0]} fits; best {answer[1]}, as scikit-learn's default run finds.",
    ),
}
