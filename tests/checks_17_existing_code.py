"""Results checks for the lessons in examples/17_existing_code: every parallel route gives the serial answer."""

import random
import statistics
from pathlib import Path

import pandas as pd


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
    assert namespace["least_certain"] == stations[widths.index(max(widths))]


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
    default = GridSearchCV(RandomForestClassifier(n_estimators=10, random_state=0), grid, cv=3)
    default.fit(features, sample["usertype"])
    for name in ("search", "search_on_dask"):
        got = namespace[name]
        assert got.best_params_ == default.best_params_, name
        assert list(got.cv_results_["mean_test_score"]) == list(default.cv_results_["mean_test_score"]), name
    assert namespace["same"] is True
    names = [t.name for t in namespace["forests"].timings]
    assert names == ["one process", "loky, n_jobs=-1", "Dask backend"]
    assert namespace["fit_ms"] > 0

    # The exercise: 2 × 2 × 2 candidates on 3 folds, plus the refit; the same best as the default.
    wide_grid = dict(grid, n_estimators=[10, 30])
    wide = GridSearchCV(RandomForestClassifier(random_state=0), wide_grid, cv=3)
    wide.fit(features, sample["usertype"])
    assert namespace["n_fits"] == 25
    assert namespace["wide"].best_params_ == wide.best_params_


CHECKS = {
    "plot_01_pools_to_dask": check_pools_to_dask,
    "plot_02_sklearn_on_cluster": check_sklearn_on_cluster,
}
