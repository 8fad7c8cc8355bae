"""Results checks for the lessons in examples/04_bag: the bag's answers against plain Python."""

import json
import math
from collections import Counter, defaultdict

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
    timings = namespace["bag_timings"]
    assert [t.name for t in timings.timings] == ["groupby, then sum each group", "foldby"]
    assert "not subscriptable" in namespace["index_error"]
    assert len(namespace["loop_pids"]) == 1 and not namespace["loop_pids"] & namespace["map_pids"]

    # The exercise: foldby's mean minutes match the DataFrame's.
    assert namespace["foldby_minutes"].keys() == minutes.to_dict().keys()
    for user, value in namespace["foldby_minutes"].items():
        assert math.isclose(value, minutes[user], rel_tol=1e-9)


CHECKS = {"plot_01_bag_json": check_bag_json}
