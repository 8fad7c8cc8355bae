"""Results checks for the lessons in examples/08_schedulers."""

import os

import numpy as np
import pandas as pd

from tutorial_helpers.cores import granted_cores


def check_local_schedulers(namespace, files):
    january = pd.read_csv(files[0])

    # No cluster: nothing set in dask.config, and each collection's own default scheduler.
    assert namespace["configured_scheduler"] is None
    assert namespace["defaults"] == {
        "DataFrame": "dask.threaded.get", "Array": "dask.threaded.get", "Bag": "dask.multiprocessing.get",
    }

    # The same answer from every scheduler, and it is pandas' answer.
    want = january.groupby("usertype")["tripduration"].mean() / 60
    assert set(namespace["by_scheduler"]) == {"synchronous", "threads", "processes"}
    for got in namespace["by_scheduler"].values():
        pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False,
                                       check_dtype=False, check_index_type=False)

    # The failing function failed where the lesson says, on a line without a birth year.
    assert "rider_age" in namespace["sync_traceback"]
    assert "ValueError" in namespace["sync_traceback"]
    assert namespace["threads_traceback"] == namespace["sync_traceback"]
    assert january["birth year"].isna().any()

    # The last traced run (threads) ran every task once.
    assert sorted(namespace["events"]) == sorted(f"{e} {i}" for e in ["start", "end"] for i in range(4))
    assert namespace["workers"] == granted_cores() <= (os.cpu_count() or 1)

    # Both workloads answer what NumPy and plain Python answer.
    quarter = january
    coordinates = ["start station latitude", "start station longitude"]
    lat_s, lon_s = np.radians(quarter.groupby("start station id")[coordinates].first().to_numpy()).T
    lat, lon = (np.radians(quarter[c].to_numpy())[:, None] for c in coordinates)
    a = np.sin((lat_s - lat) / 2) ** 2 + np.cos(lat) * np.cos(lat_s) * np.sin((lon_s - lon) / 2) ** 2
    nearby = pd.Series((2 * 6371 * np.arcsin(np.sqrt(a)) < 1).sum(axis=1))
    want_nearby = nearby.groupby(quarter["usertype"]).mean()
    pd.testing.assert_series_equal(namespace["nearby_by_usertype"].sort_index(), want_nearby.sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False)
    hours = pd.to_datetime(january["starttime"]).dt.hour.value_counts()
    assert namespace["hourly_trips"] == {int(h): int(n) for h, n in hours.items()}

    # The measured table holds every row, and each winner is the faster of its two rows.
    timings = namespace["scheduler_timings"]
    assert [t.name for t in timings.timings] == [
        f"{work} · {scheduler}" for work in ["NumPy", "pure Python"]
        for scheduler in ["synchronous", "threads", "processes"]
    ]
    # One sentence per comparison, computed from the table.
    verdicts = namespace["verdicts"]
    assert len(verdicts) == 4 and all(v.startswith("Here ") for v in verdicts)
    assert "NumPy · threads" in verdicts[0] and "NumPy · processes" in verdicts[0]
    assert "pure Python · processes" in verdicts[2] and "pure Python · threads" in verdicts[2]
    # Tracebacks on the page name files without their folders.
    assert "/" not in namespace["sync_traceback"].split("ValueError")[0].replace("^", "")

    # Exercise: the mean age of riders with a known birth year.
    want_age = (2019 - january["birth year"].dropna()).mean()
    assert list(namespace["answer"]) == ["synchronous", "threads"]
    for got in namespace["answer"].values():
        assert abs(got - want_age) < 1e-9


CHECKS = {"plot_01_local_schedulers": check_local_schedulers}


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------


def _birth_years(files):
    return pd.read_csv(files[0], usecols=["birth year"])["birth year"]


def _missing_as_zero(files):
    """Missing birth years read as 0 instead of left out."""
    age = float((2019 - _birth_years(files).fillna(0)).mean())
    return {"answer": {"synchronous": age, "threads": age}}


def _threads_and_processes(files):
    age = float((2019 - _birth_years(files).dropna()).mean())
    return {"answer": {"threads": age, "processes": age}}


def _one_scheduler_twice(files):
    age = float((2019 - _birth_years(files).dropna()).mean())
    return {"answer": {"sync": age, "synchronous": age}}


def _mean_birth_year(files):
    year = float(_birth_years(files).dropna().mean())
    return {"answer": {"synchronous": year, "threads": year}}


WRONG_ANSWERS = {
    "plot_01_local_schedulers": [_missing_as_zero, _threads_and_processes, _one_scheduler_twice, _mean_birth_year],
}
