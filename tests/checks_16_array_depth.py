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


CHECKS = {"plot_01_blockwise": check_blockwise}
