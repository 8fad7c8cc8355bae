"""Results checks for the lessons in examples/18_cluster_in_depth: futures give what pandas gives."""

from pathlib import Path

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
    assert namespace["exercise_shares"] == want_shares


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

    # The exercise: a sort keeps every January trip and needs tasks the map-reduce did not.
    assert int(namespace["sorted_rows"].sum()) == len(pd.read_csv(files[0]))
    assert namespace["sort_only_tasks"]


CHECKS["plot_02_reading_the_dashboard"] = check_reading_the_dashboard
