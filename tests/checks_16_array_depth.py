"""Results checks for the lessons in examples/16_array_depth: every Dask answer against NumPy or pandas."""

from pathlib import Path

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

    # The exercise: 5 x 5 with the outside as empty cells, on field's chunks with halos.
    np.testing.assert_allclose(namespace["answer"], _smooth(np.pad(counts, 2), 2)[2:-2, 2:-2])
    assert namespace["smoothed5"].chunks == field.chunks





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
    np.testing.assert_allclose(namespace["answer"], data[: 42 * 24].reshape(42, 24, 32, 32).mean(axis=1), rtol=1e-6)


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
    np.testing.assert_array_equal(namespace["answer"], expected[:, 10, 10])
    assert not Path(namespace["series_scratch"].name).exists()


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
    weekend = starts[starts.dt.day_of_week >= 5]
    n_weekend_days = int((days.day_of_week >= 5).sum())
    want = weekend.dt.hour.value_counts().reindex(range(24), fill_value=0) / n_weekend_days
    np.testing.assert_allclose(namespace["answer"].values, want.values)
    assert list(namespace["answer"].index) == list(range(24))


CHECKS = {
    "plot_01_blockwise": check_blockwise,
    "plot_02_rechunking": check_rechunking,
    "plot_03_zarr_hdf5": check_zarr_hdf5,
    "plot_04_xarray_files": check_xarray_files,
}


# -- Typical wrong answers to the exercises (tests/test_exercises.py), on the checks' own data --------


def _field(files):
    import dask.array as da

    return da.from_array(_start_map(files), chunks=(16, 20))


def _smooth5(block):
    return _smooth(block, 2)


def _halo_too_shallow(files):
    smoothed = _field(files).map_overlap(_smooth5, depth=1, boundary=0, dtype=float)
    return {"answer": smoothed.compute(scheduler="sync"), "smoothed": smoothed}


def _edges_not_empty(files):
    smoothed = _field(files).map_overlap(_smooth5, depth=2, boundary="none", dtype=float)
    return {"answer": smoothed.compute(scheduler="sync"), "smoothed": smoothed}


def _numpy_only(files):
    return {"answer": _smooth(np.pad(_start_map(files), 2), 2)[2:-2, 2:-2]}


def _one_big_chunk(files):
    import dask.array as da

    smoothed = da.from_array(np.pad(_start_map(files), 2)).map_blocks(_smooth5, dtype=float)[2:-2, 2:-2]
    return {"answer": smoothed.compute(scheduler="sync"), "smoothed": smoothed}


def _random_field():
    import dask.array as da

    return da.random.default_rng(42).random((1024, 32, 32), chunks=(64, 32, 32), dtype=np.float32)


def _days_of(x):
    return x[: 42 * 24].map_blocks(lambda b: b.reshape(42, 24, *b.shape[1:]).mean(axis=1),
                                   chunks=(42, 8, 8), dtype=np.float32)


def _maps_rechunked(files):
    daily = _days_of(_random_field().rechunk((1024, 8, 8)))
    return {"answer": daily.compute(scheduler="sync"), "daily": daily}


def _daily_sums(files):
    daily = _random_field()[: 42 * 24].rechunk((42 * 24, 8, 8)).map_blocks(
        lambda b: b.reshape(42, 24, *b.shape[1:]).sum(axis=1), chunks=(42, 8, 8), dtype=np.float32)
    return {"answer": daily.compute(scheduler="sync"), "daily": daily}


def _last_hours_kept(files):
    data = _random_field().compute(scheduler="sync")
    return {"answer": np.stack([data[day * 24 : (day + 1) * 24].mean(axis=0) for day in range(43)])}


def _daily_not_passed(files):
    return {"answer": _maps_rechunked(files)["answer"]}


def _zarr_cell(series_chunks, read_chunks=None, cell=(10, 10)):
    import tempfile

    import dask.array as da

    field = da.random.default_rng(7).random((1024, 64, 64), chunks=(128, 64, 64), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        field.rechunk(series_chunks).to_zarr(Path(tmp) / "store.zarr", compute=True)
        one_cell = da.from_zarr(Path(tmp) / "store.zarr", chunks=read_chunks)[:, cell[0], cell[1]]
        values = one_cell.compute(scheduler="sync")
    return {"answer": values, "one_cell": one_cell}


def _store_chunked_by_time(files):
    return _zarr_cell((128, 64, 64))


def _only_read_in_series_chunks(files):
    return _zarr_cell((128, 64, 64), read_chunks=(1024, 16, 16))


def _another_cell(files):
    return _zarr_cell((1024, 16, 16), cell=(10, 11))


def _no_store(files):
    import dask.array as da

    one_cell = da.random.default_rng(7).random((1024, 64, 64), chunks=(128, 64, 64), dtype=np.float32)[:, 10, 10]
    return {"answer": one_cell.compute(scheduler="sync"), "one_cell": one_cell}


def _weekend_cycle_kwargs(files, keep, reduce="mean", chunks=True):
    """The exercise's steps with Xarray on files written the lesson's way, keeping the days ``keep`` says."""
    import tempfile

    import xarray as xr

    starts = _grid_trips(files)
    lat_edges, lon_edges = np.linspace(42.33, 42.40, 8), np.linspace(-71.14, -71.03, 11)
    hours = pd.date_range("2019-01-01", "2019-04-01", freq="h", inclusive="left")
    with tempfile.TemporaryDirectory() as tmp:
        counts = pd.Series(1, index=starts).resample("h").sum().reindex(hours, fill_value=0)
        grid = np.zeros((len(hours), len(lat_edges) - 1, len(lon_edges) - 1), dtype="int32")
        grid[:, 0, 0] = counts.to_numpy()  # the grid's total in one cell: the check sums over the grid
        ds = xr.Dataset({"trips": (("time", "lat", "lon"), grid)}, coords={"time": hours})
        ds.to_netcdf(Path(tmp) / "trips.nc", engine="h5netcdf")
        with xr.open_dataset(Path(tmp) / "trips.nc", engine="h5netcdf", chunks={} if chunks else None) as again:
            weekend = again["trips"].sel(time=keep(again.time.dt.dayofweek))
            grouped = weekend.sum(["lat", "lon"]).groupby("time.hour")
            cycle = getattr(grouped, reduce)().compute(scheduler="sync")
    return {"answer": cycle.to_series(), "weekend": weekend}


def _every_day(files):
    return _weekend_cycle_kwargs(files, lambda day: day >= 0)


def _sundays_only(files):
    return _weekend_cycle_kwargs(files, lambda day: day >= 6)


def _weekend_totals(files):
    return _weekend_cycle_kwargs(files, lambda day: day >= 5, reduce="sum")


def _weekend_in_numpy(files):
    return _weekend_cycle_kwargs(files, lambda day: day >= 5, chunks=False)


WRONG_ANSWERS = {
    "plot_01_blockwise": [_halo_too_shallow, _edges_not_empty, _numpy_only, _one_big_chunk],
    "plot_02_rechunking": [_maps_rechunked, _daily_sums, _last_hours_kept, _daily_not_passed],
    "plot_03_zarr_hdf5": [_store_chunked_by_time, _only_read_in_series_chunks, _another_cell, _no_store],
    "plot_04_xarray_files": [_every_day, _sundays_only, _weekend_totals, _weekend_in_numpy],
}
