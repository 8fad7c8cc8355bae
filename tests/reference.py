"""The course's questions answered in plain pandas, file by file: what the lessons must match."""

import pandas as pd


def clean_trips(path) -> pd.DataFrame:
    trips = pd.read_csv(path, parse_dates=["starttime", "stoptime"])
    return trips[trips["tripduration"] > 0].dropna(subset=["end station id"])


def answers(files) -> dict[str, pd.Series]:
    clean = pd.concat([clean_trips(path) for path in files], ignore_index=True)
    return {
        "trips_per_station": clean["start station name"].value_counts(),
        "minutes_by_usertype": clean.groupby("usertype")["tripduration"].mean() / 60,
        "trips_per_hour": clean["starttime"].dt.hour.value_counts(),
    }


def assert_same_answers(namespace: dict, files) -> None:
    """The lesson's ``trips_per_station``, ``minutes_by_usertype`` and ``trips_per_hour`` are right."""
    for name, want in answers(files).items():
        pd.testing.assert_series_equal(
            namespace[name].sort_index(), want.sort_index(), check_names=False,
            check_exact=False, rtol=1e-9,
            check_dtype=False, check_index_type=False,  # Dask returns Arrow-backed dtypes
        )


def stations_analysis(files) -> pd.DataFrame:
    """The analysis of `make scale` and lesson 21.1 in plain pandas: clean trips, count, mean and median
    of tripduration per start station id, named from the station table, sorted by name."""
    from tutorial_helpers import bikes, exercises

    trips = exercises.clean_trips(files, ["start station id", "tripduration"])
    stats = trips.groupby("start station id")["tripduration"].agg(["count", "mean", "median"])
    names = bikes.stations().set_index("id")["name"]
    return stats.set_axis(names.loc[stats.index].to_numpy()).sort_index()

