"""Results checks for the lessons in examples/04_bag: the bag's answers against plain Python."""

import json
import math
from collections import Counter, defaultdict

import dask
import pandas as pd

from tutorial_helpers import bikes


def _reference(json_paths):
    """Quality labels, and the clean trips as (user type, seconds, start station), in plain Python."""
    quality, valid, clean = Counter(), [], []
    for path in json_paths:
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                quality["not valid JSON"] += 1
                continue
            missing = [key for key in ("tripduration", "start", "user") if key not in record]
            if missing:
                quality[f"no {missing[0]!r}"] += 1
            elif not isinstance(record["tripduration"], int):
                quality["tripduration is not a number"] += 1
            else:
                quality["ok"] += 1
                trip = (record["user"]["type"], record["tripduration"], record["start"]["name"])
                valid.append(trip)
                if record["tripduration"] > 0 and record["end"] is not None:
                    clean.append(trip)
    return quality, valid, clean


def check_bag_json(namespace, files):
    json_paths = bikes.json_files(files[0].parent)
    quality, _, clean = _reference(json_paths)
    assert namespace["quality_counts"] == dict(quality)
    assert 0.005 <= 1 - quality["ok"] / sum(quality.values()) <= 0.01  # the broken share

    seconds, counts = defaultdict(int), Counter()
    for user, duration, _ in clean:
        seconds[user] += duration
        counts[user] += 1
    minutes = pd.Series({user: seconds[user] / counts[user] / 60 for user in counts})
    pd.testing.assert_series_equal(
        namespace["minutes_by_usertype"].sort_index(), minutes.sort_index(),
        check_names=False, check_index_type=False, rtol=1e-9,
    )
    per_station = Counter(station for _, _, station in clean)
    assert namespace["trips_per_station"].to_dict() == dict(per_station)

    _, january_valid, _ = _reference(json_paths[:1])
    totals = defaultdict(int)
    for user, duration, _ in january_valid:
        totals[user] += duration
    assert namespace["january_totals"] == dict(totals)

    assert namespace["january_partitions"] == 2  # groupby had something to shuffle
    # With the lesson's client the default shuffle is P2P, which bags do not support: their
    # groupby shuffles with tasks (split, group, join), as the page says.
    assert namespace["shuffle_method"] == "p2p"
    assert {"shuffle-split", "shuffle-group", "shuffle-join"} <= set(namespace["groupby_steps"])
    assert namespace["used"].__qualname__ == "Client.get"  # the bag computed on the cluster
    timings = namespace["bag_timings"]
    assert [t.name for t in timings.timings] == ["groupby, then sum each group", "foldby"]
    assert "not subscriptable" in namespace["index_error"]
    _check_take_reads_lazily(namespace["lines"], json_paths)
    assert len(namespace["loop_pids"]) == 1 and not namespace["loop_pids"] & namespace["map_pids"]

    # The exercise: foldby's mean minutes match the DataFrame's.
    assert namespace["foldby_minutes"].keys() == minutes.to_dict().keys()
    for user, value in namespace["foldby_minutes"].items():
        assert math.isclose(value, minutes[user], rel_tol=1e-9)


def _check_take_reads_lazily(lines, json_paths):
    """take(n) on read_text stops after n lines of the first file: a mapped function runs n times.

    Run on the synchronous scheduler, so the calls can be counted in this process; the graph
    is optimised the same way (Bag.__dask_optimize__) whichever scheduler runs it.
    """
    assert lines.npartitions == len(json_paths)  # one partition per file
    calls = []

    def counted(line):
        calls.append(line)
        return line

    with dask.config.set(scheduler="sync"):
        lines.map(counted).take(2)
    assert len(calls) == 2


CHECKS = {"plot_01_bag_json": check_bag_json}


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------


def _means(trips, scale=60):
    seconds, counts = defaultdict(int), Counter()
    for user, duration, _ in trips:
        seconds[user] += duration
        counts[user] += 1
    return {user: seconds[user] / counts[user] / scale for user in counts}


def _clean_trips(files):
    return _reference(bikes.json_files(files[0].parent))[2]


def _every_usable_trip(files):
    _, valid, _ = _reference(bikes.json_files(files[0].parent))
    return {"answer": _means(valid)}  # the trips the DataFrame dropped are in


def _seconds_not_minutes(files):
    return {"answer": _means(_clean_trips(files), scale=1)}


def _pairs_not_divided(files):
    seconds, counts = defaultdict(int), Counter()
    for user, duration, _ in _clean_trips(files):
        seconds[user] += duration
        counts[user] += 1
    return {"answer": {user: (seconds[user], counts[user]) for user in counts}}


def _clean_bag(files):
    import dask.bag as db

    def parse(line):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None

    def usable(record):
        return (record is not None and all(key in record for key in ("tripduration", "start", "user"))
                and isinstance(record["tripduration"], int))

    def kept(record):
        return record["tripduration"] > 0 and record["end"] is not None

    return db.read_text(bikes.json_files(files[0].parent)).map(parse).filter(usable).filter(kept)


def _with_groupby(files):
    def mean_minutes(group):
        user, records = group
        return user, sum(record["tripduration"] for record in records) / len(records) / 60

    grouped = _clean_bag(files).groupby(lambda record: record["user"]["type"]).map(mean_minutes)
    return {"answer": dict(grouped.compute(scheduler="sync")), "bag": grouped}  # right numbers, a shuffle


def _no_bag_given(files):
    return {"answer": _means(_clean_trips(files))}


WRONG_ANSWERS = {
    "plot_01_bag_json": [_every_usable_trip, _seconds_not_minutes, _pairs_not_divided, _with_groupby,
                         _no_bag_given],
}
