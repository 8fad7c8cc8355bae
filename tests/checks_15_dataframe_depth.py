"""Results checks for the lessons in examples/15_dataframe_depth: each answer against plain pandas."""

import numpy as np
import pandas as pd


def _two_months(files, columns=None):
    return pd.concat([pd.read_csv(path, usecols=columns, parse_dates=["starttime"]) for path in files[:2]],
                     ignore_index=True)


def _names(timings):
    return [t.name for t in timings.timings]


def check_joins(namespace, files):
    trips = _two_months(files).rename(columns={"start station id": "station id"})
    stations = namespace["stations"]
    want = trips[["station id", "start station name"]].drop_duplicates().sort_values("station id")
    assert stations["station id"].tolist() == want["station id"].tolist()
    assert stations["name"].tolist() == want["start station name"].tolist()

    with_stations = trips.merge(stations, on="station id")
    counts = namespace["trips_per_neighbourhood"]
    want_counts = with_stations["neighbourhood"].value_counts()
    assert counts.sort_index().tolist() == want_counts.sort_index().tolist()

    trips["hour"] = trips["starttime"].dt.floor("h")
    want_bikes = trips.merge(namespace["log"], on=["hour", "station id"])["bikes"].mean()
    for plan, value in namespace["mean_bikes"].items():
        assert np.isclose(value, want_bikes, rtol=1e-12), plan
    assert _names(namespace["join_timings"]) == [
        "broadcast (log in 1 partition)", "hash join (log in 2 partitions)", "aligned on a sorted index"]

    capacity = stations.groupby("neighbourhood")["capacity"].sum()
    want_per_dock = want_counts / capacity
    pd.testing.assert_series_equal(namespace["per_dock"].sort_index(), want_per_dock.sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False)


def check_sorting(namespace, files):
    trips = pd.read_csv(files[0], usecols=["tripduration", "starttime", "start station id", "usertype"],
                        parse_dates=["starttime"])
    by_station = namespace["by_station"]
    assert by_station.known_divisions
    assert list(by_station.divisions) == sorted(by_station.divisions)
    assert len(namespace["one_station"]) == (trips["start station id"] == 63).sum()
    assert namespace["one_station"].npartitions == 1
    assert namespace["longest"]["tripduration"].tolist() == trips["tripduration"].nlargest(3).tolist()
    assert namespace["stored"].known_divisions
    assert tuple(namespace["stored"].divisions) == tuple(by_station.divisions)
    assert _names(namespace["sort_timings"]) == ["read", "read, then set_index"]
    assert _names(namespace["station_timings"]) == ["Parquet, sorted: loc[63]", "CSV files: filter"]
    one_day = trips["starttime"].dt.strftime("%Y-%m-%d") == "2019-01-15"
    assert namespace["one_day_trips"] == one_day.sum()


def check_shuffles(namespace, files):
    plans = namespace["plans"]
    sorts = "shuffles" if namespace["trips"].npartitions > 1 else "no shuffle"  # one partition: sorted in place
    assert list(plans.values()) == ["no shuffle", "shuffles", "shuffles", "no shuffle", sorts], plans
    assert _names(namespace["method_timings"]) == ["p2p", "tasks"]
    assert _names(namespace["count_timings"]) == ["value_counts(split_out=1)", "value_counts()"]
    january = pd.read_csv(files[0])
    want = january.groupby(["start station name", "usertype"]).size()
    got = namespace["pair_counts"]
    assert got.sort_index().tolist() == want.sort_index().tolist()
    assert list(got.sort_index().index) == list(want.sort_index().index)


def check_time_series(namespace, files):
    trips = pd.concat([pd.read_csv(path, usecols=["starttime", "stoptime", "tripduration"],
                                   parse_dates=["starttime", "stoptime"]) for path in files[:2]],
                      ignore_index=True)
    by_time = trips.set_index("starttime").sort_index()
    per_hour = by_time["tripduration"].resample("1h").count()
    pd.testing.assert_series_equal(namespace["per_hour"], per_hour, check_freq=False)
    weekly = per_hour.rolling("7D").mean()
    np.testing.assert_allclose(namespace["weekly_mean"].to_numpy(), weekly.to_numpy(), rtol=1e-9)
    gaps = by_time.index.to_series().diff().dt.total_seconds()
    np.testing.assert_allclose(namespace["gaps"].to_numpy(), gaps.to_numpy(), rtol=1e-12)
    assert namespace["missing_overlap"] == 1
    assert namespace["missing_partitions"] == namespace["by_time"].npartitions
    assert namespace["recounted"] == len(trips)
    assert _names(namespace["hour_timings"]) == ["resample('1h')", "groupby(hour)"]
    per_day = by_time["tripduration"].resample("1D").count()
    three_day = per_day.rolling(3, center=True).mean()
    assert namespace["best_day"] == three_day.idxmax()


def check_own_functions(namespace, files):
    january = pd.read_csv(files[0], usecols=["tripduration", "starttime", "start station id", "usertype",
                                             "birth year"], parse_dates=["starttime"])
    with_age = namespace["with_age"].compute()
    want_age = january["starttime"].dt.year - january["birth year"]
    np.testing.assert_array_equal(with_age["age"].to_numpy(), want_age.to_numpy())
    assert with_age["minutes"].tolist() == np.ceil(january["tripduration"] / 60).astype("int64").tolist()
    durations = january.groupby("usertype")["tripduration"]
    want_spread = (durations.max() - durations.min()).sort_index()
    for name in ("by_aggregation", "by_apply"):
        assert namespace[name].sort_index().tolist() == want_spread.tolist(), name
        assert list(namespace[name].sort_index().index) == list(want_spread.index), name
    assert _names(namespace["agg_timings"]) == ["dd.Aggregation", "groupby.apply"]
    assert namespace["known"].cat.known
    assert sorted(namespace["known"].cat.categories) == sorted(january["usertype"].unique())
    assert namespace["user_counts"].sort_index().tolist() == january["usertype"].value_counts().sort_index().tolist()
    assert namespace["wrong"].dtype == "float64" and len(namespace["seen"]) == 0
    want_mean = durations.mean().sort_index()
    np.testing.assert_allclose(namespace["mean_duration"].sort_index().to_numpy(), want_mean.to_numpy(), rtol=1e-12)


CHECKS = {
    "plot_01_joins": check_joins,
    "plot_02_sorting_and_divisions": check_sorting,
    "plot_03_shuffles": check_shuffles,
    "plot_04_time_series": check_time_series,
    "plot_05_your_own_functions": check_own_functions,
}
