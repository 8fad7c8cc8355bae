"""Results checks for the lessons in examples/15_dataframe_depth: each answer against plain pandas."""

import dask
import dask.dataframe as dd
import dask.utils
import numpy as np
import pandas as pd


def _two_months(files, columns=None):
    return pd.concat([pd.read_csv(path, usecols=columns, parse_dates=["starttime"]) for path in files[:2]],
                     ignore_index=True)


def _names(timings):
    return [t.name for t in timings.timings]


def _shuffle_names(tasks):
    return sorted(name for name in tasks if "shuffle" in name or "hash-join" in name or "hashjoin" in name)


def check_joins(namespace, files):
    # The cluster in view, and the plans drawn with P2P in force on it.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["trips"].npartitions == 2
    broadcast, hashed, aligned = (namespace[name] for name in ("broadcast_tasks", "hash_tasks", "aligned_tasks"))
    assert _shuffle_names(broadcast) == [] and broadcast["blockwisemerge"] == 2, broadcast
    assert broadcast["frompandas"] == 1, broadcast  # the station table, one partition for both months
    assert hashed["hash-join-transfer"] == 4 and hashed["shuffle-barrier"] == 2, hashed  # 2 + 2 inputs, a barrier per side
    assert hashed["hashjoinp2p"] == 2, hashed
    assert _shuffle_names(aligned) == [], aligned
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
    # The cluster in view, P2P in force; the quantile pass ran while planning, the plan shuffles.
    assert namespace["shuffle_method"] == "p2p"
    n = namespace["trips"].npartitions
    planning, plan = namespace["planning_tasks"], namespace["sort_tasks"]
    assert planning["read-csv"] == n and planning["repartitionquantiles"] >= n, planning
    assert plan["shuffle-transfer"] == n and plan["shuffle-barrier"] == 1 and plan["p2pshuffle"] == n, plan
    assert _shuffle_names(namespace["nlargest_tasks"]) == [], namespace["nlargest_tasks"]
    assert namespace["nlargest_tasks"]["nlargest-tree"] == 1
    assert namespace["stored"].loc[63].npartitions == 1  # divisions only: nothing is read
    by_station = namespace["by_station"]
    assert by_station.known_divisions
    assert list(by_station.divisions) == sorted(by_station.divisions)
    assert namespace["station_63_trips"] == (trips["start station id"] == 63).sum()
    assert namespace["one_station"].npartitions == 1
    assert namespace["longest"]["tripduration"].tolist() == trips["tripduration"].nlargest(3).tolist()
    assert namespace["stored"].known_divisions
    assert tuple(namespace["stored"].divisions) == tuple(by_station.divisions)
    assert _names(namespace["sort_timings"]) == ["read", "read, then set_index"]
    assert _names(namespace["station_timings"]) == ["Parquet, sorted: loc[63]", "CSV files: filter"]
    one_day = trips["starttime"].dt.strftime("%Y-%m-%d") == "2019-01-15"
    assert namespace["one_day_trips"] == one_day.sum()


def check_shuffles(namespace, files):
    # The cluster in view: two workers, and P2P the shuffle method in force on it.
    assert namespace["shuffle_method"] == "p2p"
    assert len(namespace["workers"]) == 2
    plans = namespace["plans"]
    sorts = "shuffles" if namespace["trips"].npartitions > 1 else "no shuffle"  # one partition: sorted in place
    assert list(plans.values()) == ["no shuffle", "shuffles", "shuffles", "no shuffle", sorts], plans
    # The drawn P2P plan: n transfers, one barrier, n unpacks; the tasks plan: n x n splits, no barrier.
    n = namespace["trips"].npartitions
    p2p_tasks, tasks_tasks = namespace["p2p_tasks"], namespace["tasks_tasks"]
    assert p2p_tasks["shuffle-transfer"] == n and p2p_tasks["p2pshuffle"] == n, p2p_tasks
    assert p2p_tasks["shuffle-barrier"] == 1, p2p_tasks
    if n > 1:  # one partition would be sorted in place, with no shuffle to draw
        two = namespace["sorted_tasks"].npartitions
        assert tasks_tasks["split-taskshuffle"] == 2 * two, tasks_tasks
        assert not any("barrier" in name or "p2p" in name for name in tasks_tasks), tasks_tasks
    # P2P writes what it receives to disk by default; without a client the default is "disk".
    assert dask.config.get("distributed.p2p.storage.disk") is True
    assert dask.utils.get_default_shuffle_method() == "disk"  # the lesson's cluster is closed now
    assert _names(namespace["method_timings"]) == ["p2p", "tasks"]
    assert _names(namespace["count_timings"]) == ["value_counts(split_out=1)", "value_counts()"]
    # The exercise: the distinct pairs, with a plan that does not shuffle...
    january = pd.read_csv(files[0])
    want = january[["start station name", "usertype"]].drop_duplicates()
    got = namespace["distinct_pairs"]
    assert sorted(map(tuple, got.to_numpy().tolist())) == sorted(map(tuple, want.to_numpy().tolist()))
    shuffles = namespace["shuffles"]
    assert not shuffles(namespace["pairs"]), "the exercise's plan shuffles: ask for one output partition"
    # ...which the lesson's `shuffles` tells from the typical wrong answer, drop_duplicates() as it comes.
    three = dd.read_csv(files[0], usecols=["start station name", "usertype"],
                        blocksize=max(files[0].stat().st_size // 3, 1))
    if three.npartitions > 1:
        assert shuffles(three.drop_duplicates()), "drop_duplicates() should plan a shuffle"
        assert not shuffles(three.drop_duplicates(split_out=1))


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
    # set_index(sorted=True): a pass over every partition at the call (min, max, len), and a check of their order.
    n = namespace["by_time"].npartitions
    indexing = namespace["indexing_tasks"]
    assert indexing["min"] == indexing["max"] == indexing["len"] == indexing["read-csv"] == n, indexing
    assert namespace["sorted_refusal"].startswith("Partitions are not sorted ascending by starttime")
    # resample re-cuts the partitions at whole hours first.
    resample = namespace["resample_tasks"]
    assert any(name.startswith("repartition") for name in resample), resample
    assert all(d == d.floor("h") for d in namespace["hourly_counts"].divisions), namespace["hourly_counts"].divisions
    assert namespace["missing_partitions"] == namespace["by_time"].npartitions
    assert namespace["recounted"] == len(trips)
    assert _names(namespace["hour_timings"]) == ["resample('1h')", "groupby(hour)"]
    per_day = by_time["tripduration"].resample("1D").count()
    three_day = per_day.rolling(3, center=True).mean()
    assert namespace["best_day"] == three_day.idxmax()


def check_own_functions(namespace, files):
    january = pd.read_csv(files[0], usecols=["tripduration", "starttime", "start station id", "usertype",
                                             "birth year"], parse_dates=["starttime"])
    assert namespace["shuffle_method"] == "p2p"
    aggregation, apply = namespace["aggregation_tasks"], namespace["apply_tasks"]
    assert _shuffle_names(aggregation) == [] and any(name.endswith("-tree") for name in aggregation), aggregation
    assert apply["shuffle-transfer"] == namespace["trips"].npartitions and apply["shuffle-barrier"] == 1, apply
    with_age = namespace["computed_with_age"]
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
