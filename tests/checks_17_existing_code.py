"""Results checks for the lessons in examples/17_existing_code: every parallel route gives the serial answer."""

import random
import statistics
from pathlib import Path

import pandas as pd
from dask.utils import key_split
from tutorial_helpers.exercises.existing_code import FOLDS, WIDE_GRID


def bootstrap_median(durations, seed, n_resamples=200):
    """The lesson's bootstrap, written out again as the plain-Python reference."""
    rng = random.Random(seed)
    medians = sorted(
        statistics.median(rng.choices(durations, k=len(durations))) for _ in range(n_resamples)
    )
    return medians[n_resamples // 20], medians[-(n_resamples // 20) - 1]


def check_pools_to_dask(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    # The page says: one single-threaded worker per granted core (at most 8), as many as the pools' processes.
    from tutorial_helpers.cores import granted_cores

    assert namespace["n_processes"] == min(granted_cores(), 8)
    trips = pd.read_csv(files[0])
    customers = trips[trips["usertype"] == "Customer"]
    counts = customers["start station name"].value_counts()
    stations = namespace["stations"]
    # The 16 stations with the most day-pass rides (ties at the cut may pick either).
    assert len(stations) == min(16, len(counts)) == len(set(stations))
    assert sorted(counts[stations], reverse=True) == counts.iloc[: len(stations)].tolist()

    per_station = [customers.loc[customers["start station name"] == s, "tripduration"].tolist()
                   for s in stations]
    want = [bootstrap_median(rides, seed) for seed, rides in enumerate(per_station)]
    assert namespace["intervals"] == want
    answers = namespace["answers"]
    assert set(answers) == {"plain loop", "multiprocessing.Pool", "joblib (loky)", "client.map",
                            "dask.delayed", "joblib, Dask backend"}
    for name, answer in answers.items():
        assert [tuple(pair) for pair in answer] == want, name
    assert {t.name for t in namespace["timings"].timings} == set(answers)
    assert not Path(namespace["module_dir"].name).exists()  # the module's folder was removed

    # The exercise: 500-resample intervals and the station with the widest one.
    want_500 = [bootstrap_median(rides, seed, 500) for seed, rides in enumerate(per_station)]
    assert list(namespace["intervals_500"]) == want_500
    widths = [high - low for low, high in want_500]
    assert namespace["answer"] == stations[widths.index(max(widths))]
    assert type(namespace["plan"]).__name__ == "Delayed"


def check_sklearn_on_cluster(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GridSearchCV

    trips = pd.read_csv(files[5], parse_dates=["starttime"])
    sample = trips.sample(frac=0.03, random_state=0)
    features = namespace["features"]
    assert features.index.equals(sample.index)
    assert (features["minutes"] == sample["tripduration"] / 60).all()
    assert (features["hour"] == sample["starttime"].dt.hour).all()
    assert (namespace["labels"] == sample["usertype"]).all()

    # scikit-learn's default run, one process, no Dask: the cluster's search must find the same.
    grid = {"max_depth": [4, 12], "min_samples_leaf": [1, 20]}
    default = GridSearchCV(RandomForestClassifier(n_estimators=5, random_state=0), grid, cv=2)
    default.fit(features, sample["usertype"])
    for name in ("search", "search_on_processes", "search_on_dask"):
        got = namespace[name]
        assert got.best_params_ == default.best_params_, name
        assert list(got.cv_results_["mean_test_score"]) == list(default.cv_results_["mean_test_score"]), name
    assert namespace["same"] is True and namespace["same_on_processes"] is True
    names = [t.name for t in namespace["forests"].timings]
    assert names == ["one process", "loky, n_jobs=-1", "Dask backend"]
    # The page says the three searches before the table were its warm-ups: none is run untimed in it.
    assert (namespace["forests"].warmup, namespace["forests"].repeat) == (0, 3)
    assert namespace["fit_ms"] > 0

    # The exercise: 2 × 2 × 2 candidates on 2 folds, plus the refit; the same best as the default.
    wide_grid = dict(grid, n_estimators=[5, 10])
    wide = GridSearchCV(RandomForestClassifier(random_state=0), wide_grid, cv=2)
    wide.fit(features, sample["usertype"])
    n_fits, best = namespace["answer"]
    assert n_fits == 17
    assert best == wide.best_params_
    # The cluster ran the 16 cross-validation fits (the refit runs in this process).
    assert sum(int(k.rsplit("_", 2)[-2]) for k in (key_split(r["key"]) for r in namespace["stream"].data)
               if k.startswith("batch_of__fit_and_score_")) == 16


CHECKS = {
    "plot_01_pools_to_dask": check_pools_to_dask,
    "plot_02_sklearn_on_cluster": check_sklearn_on_cluster,
}


# -- Typical wrong answers to the exercises (tests/test_exercises.py), on the checks' own data --------


def _stations_and_rides(files):
    trips = pd.read_csv(files[0], usecols=["start station name", "tripduration", "usertype"])
    customers = trips[trips["usertype"] == "Customer"]
    stations = customers["start station name"].value_counts().index[:16].tolist()
    rides = [customers.loc[customers["start station name"] == s, "tripduration"].tolist() for s in stations]
    return stations, rides


def _widest(intervals, stations):
    widths = [high - low for low, high in intervals]
    return stations[widths.index(max(widths))]


def _narrowest(intervals, stations):
    widths = [high - low for low, high in intervals]
    return stations[widths.index(min(widths))]


def _least_certain(files, n_resamples=500, pick=_widest):
    import dask

    stations, rides = _stations_and_rides(files)
    lazy = [dask.delayed(bootstrap_median)(r, seed, n_resamples) for seed, r in enumerate(rides)]
    plan = dask.delayed(pick)(lazy, stations)
    return plan, plan.compute(scheduler="sync")


def _the_narrowest(files):
    plan, station = _least_certain(files, pick=_narrowest)
    return {"answer": station, "plan": plan}


def _two_hundred_resamples(files):
    plan, _ = _least_certain(files, n_resamples=200)
    right, _ = _least_certain(files)
    return {"answer": right.compute(scheduler="sync"), "plan": plan}


def _widest_found_outside_the_graph(files):
    import dask

    stations, rides = _stations_and_rides(files)
    lazy = [dask.delayed(bootstrap_median)(r, seed, 500) for seed, r in enumerate(rides)]
    intervals = dask.compute(*lazy, scheduler="sync")
    return {"answer": _widest(list(intervals), stations), "plan": lazy[0]}


def _the_delayed_itself(files):
    plan, _ = _least_certain(files)
    return {"answer": plan, "plan": plan}


def _wide_search(files, grid, backend=None, **forest):
    """The exercise's wide search on the lesson's sample of June, recorded on a cluster of its own."""
    import joblib
    from distributed import Client, LocalCluster, get_task_stream
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GridSearchCV

    trips = pd.read_csv(files[5], parse_dates=["starttime"])
    sample = trips.sample(frac=0.03, random_state=0)
    features = pd.DataFrame({
        "hour": sample["starttime"].dt.hour, "weekday": sample["starttime"].dt.day_of_week,
        "minutes": sample["tripduration"] / 60, "latitude": sample["start station latitude"],
        "longitude": sample["start station longitude"], "birth year": sample["birth year"].fillna(0),
        "gender": sample["gender"],
    })
    search = GridSearchCV(RandomForestClassifier(random_state=0, **forest), grid, cv=FOLDS, n_jobs=-1)
    with (LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                       dashboard_address="127.0.0.1:0") as cluster, Client(cluster),
          get_task_stream() as stream):
        with joblib.parallel_config(backend=backend or "loky"):
            search.fit(features, sample["usertype"])
    return search, stream


def _refit_not_counted(files):
    search, stream = _wide_search(files, WIDE_GRID, backend="dask")
    return {"answer": (len(search.cv_results_["params"]) * FOLDS, search.best_params_), "stream": stream}


def _narrow_grid(files):
    # The lesson's search, not widened: its forest of five trees on the lesson's grid.
    search, stream = _wide_search(files, {"max_depth": [4, 12], "min_samples_leaf": [1, 20]}, backend="dask",
                                  n_estimators=5)
    return {"answer": (17, search.best_params_), "stream": stream}


def _fits_on_local_processes(files):
    search, stream = _wide_search(files, WIDE_GRID)
    return {"answer": (17, search.best_params_), "stream": stream}


WRONG_ANSWERS = {
    "plot_01_pools_to_dask": [_the_narrowest, _two_hundred_resamples, _widest_found_outside_the_graph,
                              _the_delayed_itself],
    "plot_02_sklearn_on_cluster": [_refit_not_counted, _narrow_grid, _fits_on_local_processes],
}
