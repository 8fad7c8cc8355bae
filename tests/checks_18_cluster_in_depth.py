"""Results checks for the lessons in examples/18_cluster_in_depth: futures give what pandas gives."""

import atexit
import functools
import logging
from pathlib import Path

import numpy as np

import pandas as pd


def check_futures_in_depth(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    threads = namespace["threads"]  # the page says: two workers with one thread each
    assert len(threads) == 2 and set(threads.values()) == {1}
    trips = pd.read_csv(files[0])
    counts = trips["start station id"].value_counts()
    stations = namespace["stations"]
    # The 12 busiest start stations (ties at the cut may pick either).
    assert len(stations) == min(12, len(counts)) == len(set(stations))
    assert sorted(counts[stations], reverse=True) == counts.iloc[: len(stations)].tolist()

    by_station = trips.groupby("start station id")["tripduration"]
    want = {s: float(by_station.get_group(s).median() / 60) for s in stations}
    assert namespace["medians"] == [want[s] for s in stations]
    assert set(t.name for t in namespace["timings"].timings) == {"passed in every call", "scattered once"}

    # Tasks that submit tasks: the trips of the first four months.
    assert namespace["first_quarter_trips"] == sum(len(pd.read_csv(f, usecols=["tripduration"])) for f in files[:4])

    # Fire and forget: one line per station, each written whole.
    assert namespace["summary_lines"] == sorted(f"{s},{want[s]:.2f}" for s in stations[:4])
    assert not Path(namespace["folder"].name).exists()  # the temporary folder was removed

    # Retries: the first attempt fails, the second gives the median.
    assert namespace["retried_attempts"] == 2
    assert namespace["retried_median"] == want[stations[0]]
    assert sorted(namespace["received"]) == sorted((s, round(want[s], 2)) for s in stations[:4])

    # Stations within two rides, following each station's five most common destinations.
    def top(station, k=5):
        ends = trips.loc[trips["start station id"] == station, "end station id"]
        return [int(s) for s in ends.value_counts().index[:k]]

    start = int(counts.index[0])
    depth, frontier = {start: 0}, [start]
    while frontier:
        following = []
        for station in frontier:
            for destination in top(station):
                if destination not in depth:
                    depth[destination] = depth[station] + 1
                    if depth[destination] < 2:
                        following.append(destination)
        frontier = following
    assert namespace["reached"] == sorted(depth)

    # The exercise: share of rides over 20 minutes at the first six stations.
    want_shares = {s: float((by_station.get_group(s) > 20 * 60).mean()) for s in stations[:6]}
    assert namespace["answer"] == want_shares
    assert len(namespace["share_futures"]) == 6


CHECKS = {"plot_01_futures_in_depth": check_futures_in_depth}


def check_reading_the_dashboard(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    trips = pd.concat(pd.read_csv(f, parse_dates=["starttime"]) for f in files[:2])
    want = trips["starttime"].dt.hour.value_counts()
    got = namespace["per_hour"]
    assert got.sort_index().to_dict() == want.sort_index().to_dict()

    # The shuffle keeps every trip, and adds its own tasks to the map-reduce's.
    assert int(namespace["rows_per_partition"].sum()) == len(trips)
    assert {"shuffle-transfer", "shuffle-barrier", "p2pshuffle"} <= set(namespace["new_in_shuffle"])
    assert "valuecounts-tree" in namespace["map_reduce_tasks"]
    # What the page says of the shuffle: P2P with a client, its pieces staged on disk.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["p2p_on_disk"] is True
    assert namespace["n_workers"] == 2
    assert namespace["managed_total"] > 0

    # The exercise: a sort into 4 partitions keeps every trip and needs a shuffle the map-reduce did not.
    sorted_rows = namespace["answer"]
    assert len(sorted_rows) == 4 and int(sorted_rows.sum()) == len(trips)
    assert {"shuffle-transfer", "shuffle-barrier"} <= set(namespace["sort_only_tasks"])


CHECKS["plot_02_reading_the_dashboard"] = check_reading_the_dashboard


# -- Typical wrong answers to the exercises (tests/test_exercises.py), on the checks' own data --------


@functools.lru_cache(maxsize=1)
def _client():
    """A two-worker cluster like the lesson's, kept while the check reads the futures, closed at exit."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                           dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    client = Client(cluster, set_as_default=False)  # the other tests keep their schedulers
    atexit.register(cluster.close)
    atexit.register(client.close)
    return client


def _share_long(trips, station, minutes=20):
    rides = trips.loc[trips["start station id"] == station, "tripduration"]
    return float((rides > minutes * 60).mean())


def _shares(files, scatter=True, retries=2, first=0, minutes=20):
    client = _client()
    trips = pd.read_csv(files[0], usecols=["tripduration", "starttime", "start station id", "end station id",
                                           "usertype"])
    stations = trips["start station id"].value_counts().index[first : first + 6].tolist()
    table = client.scatter(trips, broadcast=True, hash=False) if scatter else trips
    futures = client.map(_share_long, [table] * 6, stations, [minutes] * 6, retries=retries, pure=False)
    return {"answer": dict(zip(stations, client.gather(futures))), "futures": futures}


def _not_retried(files):
    return _shares(files, retries=None)


def _table_in_every_call(files):
    return _shares(files, scatter=False)


def _the_next_six_stations(files):
    return _shares(files, first=6)


def _over_ten_minutes(files):
    return _shares(files, minutes=10)


def _futures_not_passed(files):
    return {"answer": _shares(files)["answer"]}


def _read_two_months(files):
    import dask.dataframe as dd

    return dd.read_csv(files[:2], usecols=["tripduration", "starttime", "start station id", "end station id"],
                       dtype={"end station id": "float64"}, blocksize="4MB")


def _default_partitions(files):
    by_duration = _read_two_months(files).sort_values("tripduration")
    return {"answer": by_duration.map_partitions(len).compute(scheduler="sync"), "sorted_trips": by_duration}


def _january_only(files):
    january = pd.read_csv(files[0], usecols=["tripduration"]).sort_values("tripduration")
    parts = [len(part) for part in np.array_split(january, 4)]
    return {"answer": pd.Series(parts)}


def _sorted_by_station(files):
    by_station = _read_two_months(files).sort_values("start station id", npartitions=4)
    by_duration = _read_two_months(files).sort_values("tripduration", npartitions=4)
    return {"answer": by_duration.map_partitions(len).compute(scheduler="sync"), "sorted_trips": by_station}


def _stream_of_the_map_reduce(files):
    from distributed import get_task_stream

    by_duration = _read_two_months(files).sort_values("tripduration", npartitions=4)
    answer = by_duration.map_partitions(len).compute(scheduler="sync")
    client = _client()
    with get_task_stream(client) as stream:
        client.compute(_read_two_months(files)["tripduration"].value_counts(split_out=1)).result()
    return {"answer": answer, "sorted_trips": by_duration, "stream": stream}


WRONG_ANSWERS = {
    "plot_01_futures_in_depth": [_not_retried, _table_in_every_call,
                                 _the_next_six_stations, _over_ten_minutes, _futures_not_passed],
    "plot_02_reading_the_dashboard": [_default_partitions, _january_only, _sorted_by_station,
                                      _stream_of_the_map_reduce],
}
