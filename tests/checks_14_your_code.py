"""Results checks for the lessons in examples/14_your_code: each "after" equals its "before"."""

from collections import Counter

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


CHECKS = {"plot_01_decision_guide": check_decision_guide}
