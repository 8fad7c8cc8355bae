"""Results checks for the lessons in examples/16_array_depth: every Dask answer against NumPy or pandas."""

import numpy as np
import pandas as pd


def _start_map(files):
    columns = ["start station latitude", "start station longitude"]
    january = pd.read_csv(files[0], usecols=columns)
    counts, _, _ = np.histogram2d(january[columns[0]], january[columns[1]], bins=(64, 80))
    return counts


def _smooth(counts, reach):
    """Mean of the (2 reach + 1)² window around each cell; cells within ``reach`` of the edge unchanged."""
    out = counts.copy()
    rows, cols = counts.shape
    window = [counts[reach + i : rows - reach + i, reach + j : cols - reach + j]
              for i in range(-reach, reach + 1) for j in range(-reach, reach + 1)]
    out[reach:-reach, reach:-reach] = sum(window) / (2 * reach + 1) ** 2
    return out


def check_blockwise(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    counts = _start_map(files)
    np.testing.assert_array_equal(namespace["counts"], counts)
    field = namespace["field"]
    assert field.numblocks == (4, 4)
    np.testing.assert_array_equal(namespace["busy_cells"].compute(), counts >= 1000)
    coarse = namespace["coarse"]
    assert coarse.chunksize == (8, 10)
    np.testing.assert_array_equal(coarse.compute(), counts.reshape(32, 2, 40, 2).sum(axis=(1, 3)))
    np.testing.assert_array_equal(namespace["per_band"].compute(), counts.sum(axis=1))
    independent = namespace["independent"]
    assert independent.numblocks == (4, 4)
    np.testing.assert_allclose(independent.compute(),
                               np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum())

    # Without a halo the seams are wrong; with one, the smoothing is NumPy's, cell for cell.
    smoothed = _smooth(counts, 1)
    assert not np.allclose(namespace["seams"], smoothed)
    np.testing.assert_allclose(namespace["smoothed"].compute(), smoothed)
    assert namespace["halos"].chunks == ((33, 33), (41, 41))

    # The exercise: 5 x 5 with the outside as empty cells.
    np.testing.assert_allclose(namespace["smoothed5"].compute(), _smooth(np.pad(counts, 2), 2)[2:-2, 2:-2])





def check_rechunking(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    # The lesson's cluster is closed: read what it computed into NumPy, and rebuild the field here.
    import dask.array as da

    maps, series = namespace["maps"], namespace["series"]
    assert maps.chunksize == (64, 32, 32) and series.chunksize == (1024, 8, 8)
    assert maps.npartitions == series.npartitions == 16
    want = da.random.default_rng(42).random((1024, 32, 32), chunks=(64, 32, 32), dtype=np.float32)
    data = want.compute(scheduler="threads")
    np.testing.assert_array_equal(namespace["data"], data)
    np.testing.assert_allclose(namespace["medians"], np.median(data, axis=0))
    np.testing.assert_allclose(namespace["p90s"], np.percentile(data, 90, axis=(1, 2)))
    for timings in (namespace["per_cell"], namespace["per_hour"]):
        assert len(timings.timings) == 2 and all(len(t.seconds) == 3 for t in timings.timings)

    # With the lesson's client, maps -> series chunks is a P2P rechunk (the page says so).
    assert {"rechunk-transfer", "shuffle-barrier"} <= set(namespace["rechunk_names"])
    # The counts the page prints: 16 kept chunks + 16 medians; plus the P2P rechunk's tasks.
    counts = namespace["task_counts"]
    assert counts["median per cell of series"] == 32, counts
    assert counts["median per cell of maps, rechunked"] == 51, counts
    # Without a client (the cluster is closed now) the same rechunk is method="tasks", with more tasks.
    from dask.utils import key_split

    on_threads = namespace["median_per_cell"](want.rechunk((1024, 8, 8))).__dask_graph__()
    assert {"rechunk-split", "rechunk-merge"} <= {key_split(k) for k in on_threads}
    assert len(on_threads) > counts["median per cell of maps, rechunked"]

    # The exercise: daily means per cell from series, which holds whole days.
    daily = namespace["daily"]
    assert daily.shape == (42, 32, 32) and daily.npartitions == 16
    np.testing.assert_allclose(namespace["daily_values"], data[: 42 * 24].reshape(42, 24, 32, 32).mean(axis=1), rtol=1e-6)


def check_zarr_hdf5(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    field, expected = namespace["field"], namespace["expected"]
    assert expected.shape == (1024, 64, 64)
    np.testing.assert_array_equal(field.compute(), expected)
    assert namespace["stored"].chunks == field.chunksize == namespace["back"].chunksize
    assert len(namespace["chunk_files"]) == field.npartitions
    assert namespace["back"][500].npartitions == 1 and namespace["back"][:, 10, 10].npartitions == 8
    assert namespace["from_h5"].chunksize == (128, 64, 64)

    # The monthly files, rebuilt the way the lesson wrote them.
    rng = np.random.default_rng(0)
    months = [rng.random((days * 24, 32, 32), dtype=np.float32) for days in [31, 28, 31, 30]]
    assert namespace["year"].shape == (sum(len(m) for m in months), 32, 32)
    assert namespace["stacked"].shape == (4, 28 * 24, 32, 32)
    np.testing.assert_allclose(namespace["first_weeks"], [m[: 7 * 24].mean() for m in months], rtol=1e-5)

    # Files closed, folder gone.
    assert all(not f.id.valid for f in [namespace["h5"], *namespace["month_files"]])
    assert not namespace["folder"].exists()

    # The exercise: a store chunked for time series, holding the same values.
    assert namespace["series_back"].chunksize == (1024, 16, 16)
    assert namespace["one_cell"].npartitions == 1
    np.testing.assert_array_equal(namespace["series_values"], expected)


def _grid_trips(files):
    """January to March trips starting inside the lesson's grid, in plain pandas."""
    columns = ["starttime", "start station latitude", "start station longitude"]
    trips = pd.concat([pd.read_csv(path, usecols=columns, parse_dates=["starttime"]) for path in files[:3]])
    inside = trips[columns[1]].between(42.33, 42.40) & trips[columns[2]].between(-71.14, -71.03)
    return trips.loc[inside, "starttime"]


def check_xarray_files(namespace, files):
    assert namespace["client"].status == "closed"  # the lesson closed its cluster
    starts = _grid_trips(files)
    days = pd.date_range("2019-01-01", "2019-03-31", freq="D")
    ds = namespace["ds"]
    assert ds["trips"].sizes == {"time": len(days) * 24, "lat": 7, "lon": 10}
    assert ds["trips"].data.numblocks == (3, 1, 1)  # one chunk per monthly file...
    assert ds["trips"].encoding["contiguous"] is True  # ...because the files store it unchunked

    # The monthly resample: three independent chains, one per file, none joining them.
    monthly = namespace["monthly"].data
    assert monthly.numblocks == (3, 1, 1)
    from dask.core import get_deps

    graph = dict(monthly.__dask_graph__())
    dependencies, dependents = get_deps(graph)
    neighbours = {key: set(dependencies[key]) | set(dependents[key]) for key in graph}
    chains, seen = 0, set()
    for key in graph:
        if key not in seen:
            chains += 1
            todo = [key]
            while todo:
                k = todo.pop()
                if k not in seen:
                    seen.add(k)
                    todo.extend(neighbours[k] - seen)
    assert chains == 3, chains

    # Mean trips in each hour of the day over the grid: counts per hour over the number of days.
    per_hour = starts.dt.hour.value_counts().reindex(range(24), fill_value=0) / len(days)
    np.testing.assert_allclose(namespace["whole_grid"].values, per_hour.values)
    per_day = starts.dt.normalize().value_counts().reindex(days, fill_value=0)
    np.testing.assert_array_equal(namespace["per_day"].values, per_day.values)
    monthly = starts.dt.month.value_counts().sort_index()
    np.testing.assert_array_equal(namespace["monthly_totals"].values, monthly.values)
    assert not namespace["folder"].exists()

    # The exercise: Saturdays and Sundays only.
    weekend = starts[starts.dt.dayofweek >= 5]
    n_weekend_days = int((days.dayofweek >= 5).sum())
    want = weekend.dt.hour.value_counts().reindex(range(24), fill_value=0) / n_weekend_days
    np.testing.assert_allclose(namespace["weekend_cycle"].values, want.values)


CHECKS = {
    "plot_01_blockwise": check_blockwise,
    "plot_02_rechunking": check_rechunking,
    "plot_03_zarr_hdf5": check_zarr_hdf5,
    "plot_04_xarray_files": check_xarray_files,
}
