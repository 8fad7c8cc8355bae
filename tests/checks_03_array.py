"""Results checks for the lessons in examples/03_array: every Dask answer against NumPy."""

import dask
import numpy as np


def check_array_chunks(namespace, files):
    data = namespace["data"]
    assert data.shape == (1000, 200, 6)
    a6, a40 = namespace["a6"], namespace["a40"]
    assert a6.numblocks == (1, 1, 6) and a6.chunksize == (1000, 200, 1)
    assert a40.numblocks == (20, 1, 2) and a40.chunksize == (50, 200, 3)
    np.testing.assert_array_equal(a40.compute(scheduler="synchronous"), data)

    # from_array copied the NumPy chunks into the graph: changing the source changed nothing.
    assert (namespace["small"] == 0).all()
    np.testing.assert_array_equal(namespace["lazy"].compute(scheduler="synchronous"), np.arange(6))

    # A reduction along the axis a6 holds whole combines nothing; every other one here does.
    combining = namespace["task_counts"]["tasks that combine"]
    assert combining[("sum(axis=0), over time", "6 chunks 1000×200×1")] == 0
    assert (combining.drop(("sum(axis=0), over time", "6 chunks 1000×200×1")) > 0).all()
    # ...although its graph has more entries than a6's sum over the quantities, as the page says.
    entries = namespace["task_counts"]["graph entries"]
    assert entries[("sum(axis=0), over time", "6 chunks 1000×200×1")] > entries[
        ("sum(axis=2), over quantities", "6 chunks 1000×200×1")]
    assert len(namespace["sum6"].dask) == 3 * 6  # chunk, sum, aggregate: one chain per chunk
    assert namespace["auto"].numblocks == (1, 1, 1)  # smaller than array.chunk-size: one chunk

    standardized, above_099, every_tenth, largest_sine = namespace["results"]
    np.testing.assert_allclose(standardized, (data - data.mean(axis=0)) / data.std(axis=0))
    np.testing.assert_array_equal(above_099, (data > 0.99).sum(axis=(0, 1)))
    np.testing.assert_array_equal(every_tenth, data[::10, :3, 0])
    assert np.isclose(largest_sine, np.sin(data).max())
    assert np.isnan(namespace["picked"].shape[0])
    np.testing.assert_array_equal(namespace["picked_values"], data[data > 0.99])

    # The exercise: axis 2 whole in each chunk, so one chain (slice, mean, aggregate) per chunk.
    a20, mean20 = namespace["a20"], namespace["mean20"]
    assert a20.chunksize == (50, 200, 6)
    assert len(mean20.dask) == 3 * a20.npartitions
    np.testing.assert_allclose(mean20.compute(scheduler="synchronous"), data.mean(axis=2))


def check_array_out_of_core(namespace, files):
    big = namespace["big"]
    limit = namespace["worker_limit"]  # the lesson's one worker process
    assert limit == 2**30  # "a 1 GiB limit"
    assert namespace["memory_ratio"] == big.nbytes / limit >= 1.4  # bigger than the worker's memory
    # "chunks of 1400 × 1400 numbers (15 MiB)", 100 of them, "room for many threads": a chunk and
    # two temporaries for each of 8 threads take less than half the limit.
    assert big.chunksize == (1_400, 1_400) and big.npartitions == 100
    assert round(big.blocks[0, 0].nbytes / 2**20) == 15
    assert 3 * big.blocks[0, 0].nbytes * 8 < limit / 2
    # The worker reduced it without holding it: its peak stayed below its limit and the array.
    assert 0 < namespace["peak_bytes"] < min(limit, big.nbytes)
    assert namespace["used"].__qualname__ == "Client.get"  # compute() ran on the cluster
    # No NumPy reference fits in memory: check against the statistics of uniform numbers.
    n = big.size
    assert abs(namespace["big_mean"] - 0.5) < 6 / (12 * n) ** 0.5
    assert abs(namespace["big_std"] - 1 / 12**0.5) < 1e-4
    assert 0.999999 < namespace["big_max"] < 1

    x = namespace["x"]  # the comparison's small array: 4 chunks, so up to 4 threads or processes
    assert x.shape == (1_000, 1_000) and x.npartitions == 4
    assert namespace["n_workers"] == min(namespace["granted_cores"](), 4)
    timings = namespace["scheduler_timings"]
    assert [t.name for t in timings.timings] == ["one thread (synchronous)", "threads", "processes"]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert dask.array.Array.__dask_scheduler__.__module__ == "dask.threaded"


CHECKS = {"plot_01_array_chunks": check_array_chunks, "plot_02_array_out_of_core": check_array_out_of_core}


# -- typical wrong answers to the exercises (tests/test_exercises.py) ------------------------------


def _lesson_data():
    return np.random.default_rng(42).random((1000, 200, 6))  # lesson 3.1's array, from its seed


def _mean_of(chunks):
    chunked = dask.array.from_array(_lesson_data(), chunks=chunks)
    return {"answer": chunked.mean(axis=2).compute(scheduler="sync"), "chunked": chunked}


def _quantities_split_in_two(files):
    return _mean_of((50, 200, 3))  # the lesson's a40: the mean must combine the two halves


def _one_quantity_per_chunk(files):
    return _mean_of((50, 200, 1))


def _not_fifty_time_steps(files):
    return _mean_of((100, 200, 6))  # combines nothing, but not the chunks asked for


def _mean_over_time(files):
    chunked = dask.array.from_array(_lesson_data(), chunks=(50, 200, 6))
    return {"answer": chunked.mean(axis=0).compute(scheduler="sync"), "chunked": chunked}


def _mean_not_computed(files):
    chunked = dask.array.from_array(_lesson_data(), chunks=(50, 200, 6))
    return {"answer": chunked.mean(axis=2), "chunked": chunked}


def _no_chunked_array(files):
    return {"answer": _lesson_data().mean(axis=2)}  # NumPy's answer, no Dask array to look at


def _big():
    return dask.array.random.default_rng(2019).random((14_000, 14_000), chunks=1_400)  # lesson 3.2's, not computed


def _what_theory_says(files):
    return {"answer": (1 / 12**0.5, 1.0)}


def _pair_not_computed(files):
    big = _big()
    return {"answer": (big.std(), big.max())}


def _std_and_max_of_the_small_array(files):
    small = dask.array.random.default_rng(0).random((1_000, 1_000), chunks=(250, 1_000))  # the lesson's x
    return {"answer": tuple(float(v) for v in dask.compute(small.std(), small.max(), scheduler="threads"))}


def _max_then_std(files):
    from tutorial_helpers.exercises.array import _big_std_and_max  # the values, NumPy's, in the wrong order

    std, top = _big_std_and_max()
    return {"answer": (top, std)}


WRONG_ANSWERS = {
    "plot_01_array_chunks": [_quantities_split_in_two, _one_quantity_per_chunk, _not_fifty_time_steps,
                             _mean_over_time, _mean_not_computed, _no_chunked_array],
    "plot_02_array_out_of_core": [_what_theory_says, _pair_not_computed, _std_and_max_of_the_small_array,
                                  _max_then_std],
}
