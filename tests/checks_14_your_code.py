"""Results checks for the lessons in examples/14_your_code: each "after" equals its "before"."""

import functools
from collections import Counter

import dask
import numpy as np
import pandas as pd


def check_decision_guide(namespace, files):
    trips = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)

    # pandas → Dask DataFrame
    long_ride = trips["tripduration"] > 30 * 60
    pd.testing.assert_series_equal(
        namespace["long_share"].sort_index(), long_ride.groupby(trips["usertype"]).mean(),
        check_names=False, check_dtype=False, check_index_type=False,
    )

    # NumPy → Dask Array: the same steps on the very numbers Dask drew.
    x = namespace["x"].compute()
    assert x.shape == (20_000, 1_000)
    np.testing.assert_allclose(namespace["spread_values"], (x - x.mean(axis=0)).std(axis=0))

    # Python objects → Dask Bag: the two months' customer starts, counted by a plain loop.
    first_two = pd.concat([pd.read_csv(path) for path in files[:2]])
    counts = Counter(first_two.loc[first_two["usertype"] == "Customer", "start station name"])
    top = namespace["top_customer_starts"]
    assert [count for _, count in top] == [count for _, count in counts.most_common(3)]
    assert all(counts[station] == count for station, count in top)
    assert not namespace["json_files"][0].exists()  # the temporary files were cleaned up
    assert namespace["rides"].npartitions == len(namespace["json_files"])  # one partition per file
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"

    # multiprocessing/joblib → dask.delayed
    per_month = [int((pd.read_csv(path)["tripduration"] > 30 * 60).sum()) for path in files]
    assert list(namespace["per_month"]) == per_month
    assert namespace["total"] == sum(per_month)

    # Xarray with Dask: trips per station per day, its reductions, and the exercise.
    day = pd.to_datetime(trips["starttime"]).dt.floor("D")
    table = trips.groupby([trips["start station name"], day]).size()
    got = namespace["per_station_day"]
    assert got.sort_index().tolist() == table.sort_index().tolist()
    grid = table.unstack(fill_value=0)  # stations × days, like the DataArray
    ds = namespace["ds"]
    assert ds["trips"].chunks is not None  # Dask-backed
    assert list(ds["station"].values) == grid.index.tolist()
    np.testing.assert_allclose(namespace["mean_per_station"].values, grid.to_numpy().mean(axis=1))
    np.testing.assert_array_equal(namespace["trips_each_day"].values, grid.to_numpy().sum(axis=0))

    records = namespace["records"].sort_index()
    assert records["trips"].to_dict() == grid.max(axis=1).to_dict()
    assert records["day"].tolist() == grid.idxmax(axis=1).sort_index().tolist()


# -- typical wrong answers to the exercise (tests/test_exercises.py) ---------------------------------


@functools.cache
def _trips_per_day(files):
    """The lesson's station × day DataArray, built with pandas, and the same chunked as ``ds``."""
    import xarray as xr

    columns = ["starttime", "start station name"]
    trips = pd.concat([pd.read_csv(path, usecols=columns, parse_dates=["starttime"]) for path in files])
    trips = trips.rename(columns={"start station name": "station"})
    table = trips.groupby(["station", trips["starttime"].dt.floor("D").rename("day")]).size()
    in_memory = xr.DataArray.from_series(table).fillna(0).astype("int64")
    return in_memory, in_memory.to_dataset(name="trips").chunk({"day": 92})


def _records(day, trips):
    return pd.DataFrame({"day": day.to_series(), "trips": trips.to_series()})


def _right_lazy(files):
    _, ds = _trips_per_day(tuple(files))
    return ds["trips"].idxmax("day"), ds["trips"].max("day")


def _summed_not_max(files):
    """The station's total trips instead of its busiest day's."""
    _, ds = _trips_per_day(tuple(files))
    day, total = dask.compute(ds["trips"].idxmax("day"), ds["trips"].sum("day"), scheduler="sync")
    return {"answer": _records(day, total), "lazy_parts": _right_lazy(files)}


def _positions_not_days(files):
    """argmax: the day's position, not its date."""
    _, ds = _trips_per_day(tuple(files))
    position, most = dask.compute(ds["trips"].argmax("day"), ds["trips"].max("day"), scheduler="sync")
    return {"answer": _records(position, most), "lazy_parts": _right_lazy(files)}


def _from_the_numpy_array(files):
    """Right table, but reduced from trips_per_day, the NumPy-backed array, not the chunked ds."""
    in_memory, _ = _trips_per_day(tuple(files))
    day, most = in_memory.idxmax("day"), in_memory.max("day")
    return {"answer": _records(day, most), "lazy_parts": (day, most)}


def _top_three_only(files):
    """Only the three stations with the highest record."""
    day, most = dask.compute(*_right_lazy(files), scheduler="sync")
    return {"answer": _records(day, most).nlargest(3, "trips"), "lazy_parts": _right_lazy(files)}


def _along_station(files):
    """Reduced along station instead of day: the busiest station of each day."""
    _, ds = _trips_per_day(tuple(files))
    lazy = ds["trips"].idxmax("station"), ds["trips"].max("station")
    station, most = dask.compute(*lazy, scheduler="sync")
    return {"answer": pd.DataFrame({"day": station.to_series(), "trips": most.to_series()}), "lazy_parts": lazy}


WRONG_ANSWERS = {"plot_01_decision_guide": [
    _summed_not_max, _positions_not_days, _from_the_numpy_array, _top_three_only, _along_station,
]}


CHECKS = {"plot_01_decision_guide": check_decision_guide}
