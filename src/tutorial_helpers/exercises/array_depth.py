"""The exercises of the Dask Array in depth topic (examples/16_array_depth).

The references are made with NumPy and pandas alone: lesson 16.1's map of January's trip starts
with ``np.histogram2d`` from the first trip file; the random fields of lessons 16.2 and 16.3
from the per-chunk generators ``dask.array.random.default_rng(seed)`` hands its chunks (one
``SeedSequence`` child each, spawned in the order of the chunks); lesson 16.4's hourly cycle from
the trips of January to March with pandas. What the exercises are about in Dask (halos, a
rechunk in the plan, the chunks of a store, a Dask-backed selection) is read from the Dask
object the learner passes, never computed by the check.
"""

from __future__ import annotations

import functools
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs


def _is_dask_array(x) -> bool:
    return hasattr(x, "__dask_graph__") and hasattr(x, "chunks") and hasattr(x, "numblocks")


def _graph_names(x) -> set[str]:
    """The task names of a Dask collection's graph, leaving out results already persisted (futures)."""
    return {key_split(key) for key, node in dict(x.__dask_graph__()).items() if type(node).__name__ != "Future"}


# -- 16.1: a 5 x 5 smoothing with map_overlap, the outside as empty cells -------------------------

_COLUMNS = ["start station latitude", "start station longitude"]


@functools.lru_cache(maxsize=2)
def _start_map(first_file: Path) -> np.ndarray:
    """Lesson 16.1's map: January's trip starts counted in 64 × 80 cells."""
    january = pd.read_csv(first_file, usecols=_COLUMNS)
    counts, _, _ = np.histogram2d(january[_COLUMNS[0]], january[_COLUMNS[1]], bins=(64, 80))
    return counts


def _mean5(padded: np.ndarray) -> np.ndarray:
    """The 5 × 5 mean of every cell of ``padded`` that has two cells on each side."""
    rows, cols = padded.shape
    return sum(padded[2 + i : rows - 2 + i, 2 + j : cols - 2 + j] for i in range(-2, 3) for j in range(-2, 3)) / 25


def _compare_smoothed5(answer, files, smoothed=None) -> str | None:
    counts = _start_map(Path(files[0]))
    expected = _mean5(np.pad(counts, 2))
    answer = np.asarray(answer)
    if answer.shape != expected.shape:
        return f"Your map has the shape {answer.shape}; the smoothed map keeps the shape of `counts`."
    wrong = ~np.isclose(answer, expected)
    if wrong.any():
        edge = np.zeros(expected.shape, dtype=bool)
        edge[:2], edge[-2:], edge[:, :2], edge[:, -2:] = True, True, True, True
        if not (wrong & ~edge).any():
            return ("Your map is right inside but wrong in the two outermost rows and columns: "
                    "the world outside the map should count as empty cells.")
        return (f"{int(wrong.sum())} of the {expected.size} cells of your map differ from the 5 × 5 "
                "smoothing, not only along the map's edges: look at the cells next to the seams between chunks.")
    if not _is_dask_array(smoothed):
        return ("The values are right; pass the Dask array you computed them from as `smoothed=`, "
                "so the check can see that it worked chunk by chunk.")
    if smoothed.chunks != ((16,) * 4, (20,) * 4):
        return "Your Dask array is not in the chunks of `field` (16 × 20 cells): smooth `field` itself."
    if not {"overlap", "trim"} <= _graph_names(smoothed):
        return "Your Dask array has no halo exchange in its plan: it was not made with map_overlap."
    return None


# -- 16.2: daily means per cell from the chunking that holds whole days --------------------------

_FIELD_SHAPE, _MAPS_CHUNKS = (1024, 32, 32), (64, 32, 32)


def _dask_random(seed: int, shape, chunks, dtype) -> np.ndarray:
    """``da.random.default_rng(seed).random(shape, chunks=chunks, dtype=dtype)``, made chunk by chunk in NumPy."""
    import dask.array as da  # only for the chunk grid; nothing is computed with Dask

    grid = da.core.normalize_chunks(chunks, shape, dtype=dtype)
    corners = list(product(*[np.cumsum((0, *sizes))[:-1] for sizes in grid]))
    sizes = list(product(*grid))
    out = np.empty(shape, dtype=dtype)
    for child, corner, size in zip(np.random.SeedSequence(seed).spawn(len(sizes)), corners, sizes):
        where = tuple(slice(start, start + n) for start, n in zip(corner, size))
        out[where] = np.random.default_rng(np.random.PCG64(child)).random(size, dtype=dtype)
    return out


@functools.lru_cache(maxsize=1)
def _daily_means() -> np.ndarray:
    data = _dask_random(42, _FIELD_SHAPE, _MAPS_CHUNKS, np.float32)
    days = _FIELD_SHAPE[0] // 24
    return data[: days * 24].reshape(days, 24, *_FIELD_SHAPE[1:]).mean(axis=1)


def _rechunks(x) -> bool:
    """Whether a Dask array's plan still has rechunk work to do (persisted results do not count)."""
    return any(name.startswith("rechunk") or name == "shuffle-barrier" for name in _graph_names(x))


def _compare_daily(answer, files, daily=None) -> str | None:
    expected = _daily_means()
    answer = np.asarray(answer)
    if answer.shape != expected.shape:
        return f"Your daily means have the shape {answer.shape}; 42 whole days × 32 × 32 cells are asked for."
    if not np.allclose(answer, expected, rtol=1e-5):
        return "Your array has the right shape, but its values are not each cell's mean over each day."
    if not _is_dask_array(daily):
        return ("The values are right; pass the Dask array you computed them from as `daily=`, so the "
                "check can see whether it rechunks.")
    if daily.shape != expected.shape:
        return "The Dask array you passed as `daily` is not the array of daily means."
    if _rechunks(daily):
        return "Your Dask array rechunks inside its plan: one of the two arrays already holds whole days."
    return None


# -- 16.3: a Zarr store chunked for time series -----------------------------------------------------


@functools.lru_cache(maxsize=1)
def _zarr_field() -> np.ndarray:
    return _dask_random(7, (1024, 64, 64), (128, 64, 64), np.float32)


def _stores(x) -> list:
    """The Zarr arrays a Dask array reads from."""
    import zarr

    return [node for node in dict(x.__dask_graph__()).values() if isinstance(node, zarr.Array)]


def _compare_zarr_series(answer, files, one_cell=None) -> str | None:
    expected = _zarr_field()[:, 10, 10]
    answer = np.asarray(answer)
    if answer.shape != expected.shape:
        return f"Your time series has the shape {answer.shape}; one cell's 1,024 hours are asked for."
    if not np.array_equal(answer, expected):
        return "Your time series has the right length, but not the values of cell (10, 10) of `field`."
    if not _is_dask_array(one_cell):
        return ("The values are right; pass the lazy selection of the cell you read them from as "
                "`one_cell=`, so the check can see which chunk files it reads.")
    stores = _stores(one_cell)
    if not stores:
        return "The selection you passed does not read a Zarr store: read the cell back from the new store."
    if tuple(stores[0].chunks) != (1024, 16, 16):
        return (f"The store your selection reads is chunked {tuple(stores[0].chunks)} on disk: write it "
                "chunked for time series.")
    if one_cell.npartitions != 1:
        return f"Your selection reads {one_cell.npartitions} chunk files where one holds the whole series."
    return None


# -- 16.4: the weekends' hourly cycle with Xarray ----------------------------------------------------

_GRID = {"start station latitude": (42.33, 42.40), "start station longitude": (-71.14, -71.03)}


@functools.lru_cache(maxsize=2)
def _weekend_cycle(three_files: tuple[Path, ...]) -> pd.Series:
    """Mean trips per hour of the day over Saturdays and Sundays, January to March, inside the grid."""
    columns = ["starttime", *_GRID]
    trips = pd.concat([pd.read_csv(path, usecols=columns, parse_dates=["starttime"]) for path in three_files])
    inside = np.logical_and.reduce([trips[c].between(*limits) for c, limits in _GRID.items()])
    starts = trips.loc[inside, "starttime"]
    first = trips["starttime"].min().to_period("M").to_timestamp()
    days = pd.date_range(first, first + pd.offsets.MonthBegin(3), freq="D", inclusive="left")
    weekend = starts[starts.dt.day_of_week >= 5]
    n_days = int((days.day_of_week >= 5).sum())
    return weekend.dt.hour.value_counts().reindex(range(24), fill_value=0) / n_days


def _compare_weekend_cycle(answer, files, weekend=None) -> str | None:
    expected = _weekend_cycle(tuple(Path(f) for f in files[:3]))
    problem = differs(answer, expected, "Your weekend cycle")
    if problem:
        return problem
    data = getattr(weekend, "data", None)
    if not hasattr(weekend, "dims") or "time" not in weekend.dims:
        return ("The values are right; pass the weekend selection (an Xarray DataArray, before "
                "compute) as `weekend=`, so the check can see how it was made.")
    if not _is_dask_array(data):
        return "Your weekend selection holds NumPy data: open the files with chunks, so Dask reads them."
    if not (weekend["time"].dt.dayofweek >= 5).all():
        return "Your weekend selection holds weekdays too."
    return None


EXERCISES = {
    "plot_01_blockwise": Exercise(
        compare=_compare_smoothed5,
        hint="a 5 × 5 window reaches two cells beyond its centre, and a numeric boundary pads the map's "
             "edges with that number.",
        right=lambda answer: "the 5 × 5 smoothing matches NumPy's on every cell, made chunk by chunk with halos.",
    ),
    "plot_02_rechunking": Exercise(
        compare=_compare_daily,
        hint="a chunk holds whole days only if it holds a multiple of 24 hours; map_blocks on that array "
             "needs chunks= for the new shape of each chunk.",
        right=lambda answer: "each cell's daily means match NumPy's, computed without a rechunk.",
    ),
    "plot_03_zarr_hdf5": Exercise(
        compare=_compare_zarr_series,
        hint="rechunk `field` to (1024, 16, 16) before to_zarr, read the store back with da.from_zarr, "
             "and select [:, 10, 10] from that.",
        right=lambda answer: "cell (10, 10)'s 1,024 hours, read from a store chunked for time series: one file.",
    ),
    "plot_04_xarray_files": Exercise(
        compare=_compare_weekend_cycle,
        hint="select the time steps with ds.time.dt.dayofweek >= 5, sum over lat and lon, then take the "
             "mean per time.hour; .to_series() turns the result into a pandas Series.",
        right=lambda answer: f"the weekend's busiest hour is {int(answer.idxmax())}:00, as pandas finds it.",
    ),
}
