"""Results checks for the lessons in examples/15_dataframe_depth: each answer against plain pandas."""

import dask
import dask.dataframe as dd
import dask.utils
import numpy as np
import pandas as pd

from tutorial_helpers.exercises import check


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
    pd.testing.assert_series_equal(namespace["answer"].sort_index(), want_per_dock.sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False)
    check("joins", namespace["answer"], stations=stations, collection=namespace["starts_counted"])


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
    assert namespace["answer"] == one_day.sum()
    check("sorting_and_divisions", namespace["answer"], selection=namespace["one_day"])


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
    # The exercise, through the learner's check: the distinct pairs, from a plan that does not shuffle.
    january = pd.read_csv(files[0], usecols=["start station name", "usertype"])
    want = january.drop_duplicates()
    got = namespace["answer"]
    assert sorted(map(tuple, got.to_numpy().tolist())) == sorted(map(tuple, want.to_numpy().tolist()))
    check("shuffles", got, collection=namespace["pairs"])


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
    check("time_series", namespace["answer"], collection=namespace["three_day"])


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
    np.testing.assert_allclose(namespace["answer"].sort_index().to_numpy(), want_mean.to_numpy(), rtol=1e-12)
    check("your_own_functions", namespace["answer"], aggregation=namespace["custom_mean"])


CHECKS = {
    "plot_01_joins": check_joins,
    "plot_02_sorting_and_divisions": check_sorting,
    "plot_03_shuffles": check_shuffles,
    "plot_04_time_series": check_time_series,
    "plot_05_your_own_functions": check_own_functions,
}


# -- Typical wrong answers to the exercises, built as a learner would (no cluster: plain Dask) --------


def _station_table(files):
    """The lesson's invented station table: every station of the two months, a capacity and a neighbourhood."""
    trips = _two_months(files, ["starttime", "start station id", "start station name"])
    stations = (trips[["start station id", "start station name"]].drop_duplicates()
                .rename(columns={"start station id": "station id", "start station name": "name"})
                .sort_values("station id"))
    rng = np.random.default_rng(42)
    stations["capacity"] = rng.choice([15, 19, 23, 27], size=len(stations))
    stations["neighbourhood"] = rng.choice(["Back Bay", "Cambridge", "Downtown", "Seaport"], size=len(stations))
    return stations


def _dask_trips(files, months=2, columns=("starttime", "start station id")):
    trips = dd.read_csv(list(files[:months]), usecols=list(columns), parse_dates=["starttime"], blocksize=None)
    return trips.rename(columns={"start station id": "station id"})


def _joined_counts(files, stations, months=2, **merge):
    starts = _dask_trips(files, months).merge(stations[["station id", "neighbourhood"]], on="station id", **merge)
    return starts["neighbourhood"].value_counts(split_out=1)


def _starts_not_divided(files):
    stations = _station_table(files)
    counts = _joined_counts(files, stations)
    return {"answer": counts.compute(), "stations": stations, "collection": counts}


def _capacity_summed_over_trips(files):
    stations = _station_table(files)
    joined = _dask_trips(files).merge(stations, on="station id")
    by_neighbourhood = joined.groupby("neighbourhood").agg({"station id": "count", "capacity": "sum"}).compute()
    return {"answer": by_neighbourhood["station id"] / by_neighbourhood["capacity"], "stations": stations,
            "collection": joined}


def _january_only(files):
    stations = _station_table(files)
    counts = _joined_counts(files, stations, months=1)
    return {"answer": counts.compute() / stations.groupby("neighbourhood")["capacity"].sum(), "stations": stations,
            "collection": counts}


def _hash_joined(files):
    stations = _station_table(files)
    two_parts = dd.from_pandas(stations[["station id", "neighbourhood"]], npartitions=2)
    starts = _dask_trips(files).merge(two_parts, on="station id", shuffle_method="tasks")
    counts = starts["neighbourhood"].value_counts(split_out=1)
    return {"answer": counts.compute() / stations.groupby("neighbourhood")["capacity"].sum(), "stations": stations,
            "collection": counts}


def _value_counts_as_it_comes(files):
    stations = _station_table(files)
    starts = _dask_trips(files).merge(stations[["station id", "neighbourhood"]], on="station id")
    counts = starts["neighbourhood"].value_counts()
    return {"answer": counts.compute() / stations.groupby("neighbourhood")["capacity"].sum(), "stations": stations,
            "collection": counts}


def _january_by_time(files):
    third = max(files[0].stat().st_size // 3, 1)
    trips = dd.read_csv(files[0], usecols=["tripduration", "starttime", "start station id", "usertype"],
                        parse_dates=["starttime"], blocksize=third)
    return trips


def _the_next_day(files):
    one_day = _january_by_time(files).set_index("starttime").loc["2019-01-16"]
    return {"answer": len(one_day), "selection": one_day}


def _two_days(files):
    one_day = _january_by_time(files).set_index("starttime").loc["2019-01-15":"2019-01-16"]
    return {"answer": len(one_day), "selection": one_day}


def _filtered_not_selected(files):
    trips = _january_by_time(files)
    one_day = trips[trips["starttime"].dt.strftime("%Y-%m-%d") == "2019-01-15"]
    return {"answer": len(one_day), "selection": one_day}


def _january_pairs(files):
    third = max(files[0].stat().st_size // 3, 1)
    trips = dd.read_csv(files[0], usecols=["start station name", "usertype", "tripduration"], blocksize=third)
    return trips


def _drop_duplicates_as_it_comes(files):
    pairs = _january_pairs(files)[["start station name", "usertype"]].drop_duplicates()
    return {"answer": pairs.compute(), "collection": pairs}


def _distinct_over_every_column(files):
    rows = _january_pairs(files).drop_duplicates(split_out=1)
    return {"answer": rows.compute()[["start station name", "usertype"]], "collection": rows}


def _station_and_type_counted(files):
    pairs = _january_pairs(files)[["start station name", "usertype"]].drop_duplicates(split_out=1)
    return {"answer": len(pairs), "collection": pairs}


def _daily_counts(files):
    trips = dd.read_csv(list(files[:2]), usecols=["starttime", "tripduration"], parse_dates=["starttime"],
                        blocksize="5MB")
    return trips.set_index("starttime", sorted=True)["tripduration"].resample("1D").count()


def _not_centred(files):
    three_day = _daily_counts(files).rolling(3).mean()
    return {"answer": three_day.compute(), "collection": three_day}


def _hourly_rolled(files):
    trips = dd.read_csv(list(files[:2]), usecols=["starttime", "tripduration"], parse_dates=["starttime"],
                        blocksize="5MB")
    three = trips.set_index("starttime", sorted=True)["tripduration"].resample("1h").count().rolling(3, center=True)
    return {"answer": three.mean().compute(), "collection": three.mean()}


def _grouped_by_day_unknown_divisions(files):
    trips = dd.read_csv(list(files[:2]), usecols=["starttime", "tripduration"], parse_dates=["starttime"],
                        blocksize="5MB")
    per_day = trips.groupby(trips["starttime"].dt.floor("D"))["tripduration"].count()
    three_day = per_day.rolling(3, center=True).mean()
    answer = _daily_counts(files).rolling(3, center=True).mean().compute()  # the right values...
    return {"answer": answer, "collection": three_day}  # ...from a series that does not know its divisions


def _rolled_in_pandas(files):
    per_day = _daily_counts(files)
    return {"answer": per_day.compute().rolling(3, center=True).mean(), "collection": per_day}


def _january_durations(files):
    third = max(files[0].stat().st_size // 3, 1)
    return dd.read_csv(files[0], usecols=["usertype", "tripduration"], blocksize=third)


def _mean_of_means(files):
    mean_of_means = dd.Aggregation(
        name="mean_of_means",
        chunk=lambda grouped: grouped.mean(),
        agg=lambda means: means.mean(),
    )
    answer = _january_durations(files).groupby("usertype")["tripduration"].agg(mean_of_means).compute()
    return {"answer": answer, "aggregation": mean_of_means}


def _built_in_mean_and_a_broken_aggregation(files):
    counts_only = dd.Aggregation(
        name="counts_only",
        chunk=lambda grouped: (grouped.sum(), grouped.count()),
        agg=lambda sums, counts: (sums.sum(), counts.count()),  # counts the partial counts, not their sum
        finalize=lambda total, count: total / count,
    )
    answer = _january_durations(files).groupby("usertype")["tripduration"].mean().compute()
    return {"answer": answer, "aggregation": counts_only}


def _in_minutes(files):
    custom_mean = dd.Aggregation(
        name="custom_mean",
        chunk=lambda grouped: (grouped.sum(), grouped.count()),
        agg=lambda sums, counts: (sums.sum(), counts.sum()),
        finalize=lambda total, count: total / count / 60,
    )
    answer = _january_durations(files).groupby("usertype")["tripduration"].agg(custom_mean).compute()
    return {"answer": answer, "aggregation": custom_mean}


def _no_aggregation(files):
    return {"answer": _january_durations(files).groupby("usertype")["tripduration"].mean().compute()}


WRONG_ANSWERS = {
    "plot_01_joins": [_starts_not_divided, _capacity_summed_over_trips, _january_only, _hash_joined,
                      _value_counts_as_it_comes],
    "plot_02_sorting_and_divisions": [_the_next_day, _two_days, _filtered_not_selected],
    "plot_03_shuffles": [_drop_duplicates_as_it_comes, _distinct_over_every_column, _station_and_type_counted],
    "plot_04_time_series": [_not_centred, _hourly_rolled, _grouped_by_day_unknown_divisions, _rolled_in_pandas],
    "plot_05_your_own_functions": [_mean_of_means, _built_in_mean_and_a_broken_aggregation, _in_minutes,
                                   _no_aggregation],
}
