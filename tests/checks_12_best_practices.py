"""Results checks for the lessons in examples/12_best_practices: every answer matches pandas."""

import numpy as np
import pandas as pd

DTYPES = {"birth year": "float64", "end station id": "float64"}


def _read(paths):
    return pd.concat([pd.read_csv(path, dtype=DTYPES) for path in paths], ignore_index=True)


def _distance_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * np.arcsin(np.sqrt(a))


def _same(got, want):
    pd.testing.assert_series_equal(
        got.sort_index(), want.sort_index(), check_names=False, check_exact=False, rtol=1e-9,
        check_dtype=False, check_index_type=False,  # Dask returns Arrow-backed dtypes
    )


def check_best_practices(namespace, files):
    two_months = _read(files[:2])
    _same(namespace["mean_by_usertype"], two_months.groupby("usertype")["tripduration"].mean())

    # Large graphs: the per-row graph and map_partitions give the plain NumPy distances.
    coordinates = namespace["coordinates"]
    january = pd.read_csv(files[0])
    distances = _distance_km(*(january[column] for column in coordinates))
    sample = january[coordinates].head(100).dropna()
    assert namespace["n_rows"] == len(sample)
    want_sample = _distance_km(*(sample[column] for column in coordinates)).sum()
    assert np.isclose(namespace["per_row_km"], want_sample, rtol=1e-9)
    assert np.isclose(namespace["vectorised_km"], want_sample, rtol=1e-9)
    assert np.isclose(namespace["total_km"], distances.sum(), rtol=1e-9)
    assert namespace["n_january"] == len(january)

    # Persist: the needed columns are a fraction of all; the two questions match pandas.
    assert 0 < namespace["needed_bytes"] < namespace["all_bytes"]
    kept = two_months[two_months["tripduration"] > 0]
    kept_start = pd.to_datetime(kept["starttime"])
    want_minutes = kept.loc[kept["usertype"] == "Customer", "tripduration"].mean() / 60
    assert np.isclose(namespace["customer_minutes"], want_minutes, rtol=1e-9)
    _same(namespace["trips_per_hour"], kept.groupby(kept_start.dt.hour)["tripduration"].count())

    # The pandas route put the table into the graph, and the client warned; dd.read_csv did not.
    import dask
    from dask.utils import parse_bytes
    threshold = parse_bytes(dask.config.get("distributed.admin.large-graph-warning-threshold"))
    assert all(m.startswith("Sending large graph of size") for m in namespace["load_warnings"])
    if namespace["frame_bytes"] > 2 * threshold:
        assert namespace["load_warnings"], "the pandas route's graph holds the table"
    if namespace["frame_bytes"] < threshold / 2:
        assert not namespace["load_warnings"]
    # persist() held the needed frame on the cluster; del let the cluster free it.
    assert namespace["held_persisted"] > 0 and namespace["held_after_del"] == 0
    # Default blocks: one partition per monthly file, each smaller than the default block size.
    from dask.dataframe.io.csv import AUTO_BLOCKSIZE
    assert AUTO_BLOCKSIZE <= 64e6
    assert namespace["largest_file"] < AUTO_BLOCKSIZE
    assert namespace["year"].npartitions == len(files) <= namespace["tiny"].npartitions
    if namespace["largest_file"] > 2e6:  # 1 MB blocks then cut at least that file in more pieces
        assert namespace["tiny"].npartitions > len(files)
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"

    # Reduce before compute.
    by_station = january.groupby("start station name")["tripduration"].mean()
    _same(namespace["mean_by_station"], by_station)

    # Timings.
    for name in ("load_timings", "graph_timings", "reduce_timings"):
        assert all(len(t.seconds) == 3 for t in namespace[name].timings), name

    # The exercise solution.
    want = two_months.groupby("usertype")["tripduration"].mean()
    means = namespace["means"]
    assert set(means) == {"Subscriber", "Customer"}
    for usertype, mean in means.items():
        assert np.isclose(mean, want[usertype], rtol=1e-9)
    names = [t.name for t in namespace["exercise_timings"].timings]
    assert names == ["compute() per type", "one dask.compute()"]


def check_diagnosing_performance(namespace, files):
    two_months = _read(files[:2])
    # The progress-bar computation, and the bar's last frame.
    _same(namespace["duration"], two_months.groupby("start station name")["tripduration"].mean())
    assert "100% Completed" in namespace["bar"].getvalue()

    # The profiled pipelines: both find pandas' busiest route.
    three_months = _read(files[:3])
    routes = three_months.value_counts(["start station name", "end station name"])
    busiest = (routes.index[0], int(routes.iloc[0]))
    assert namespace["slow_route"] == namespace["fast_route"] == busiest

    # With the lesson's client open, the default shuffle is P2P; the report's run on the cluster.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["shuffle_tasks"] == []  # the groupby mean needs no shuffle
    if namespace["winter"].npartitions > 1:  # value_counts shuffles, with P2P
        assert "p2pshuffle" in namespace["counts_shuffle"]
    assert namespace["cluster_route"] == busiest
    assert namespace["cluster"].status.name == "closed", "the lesson closes its cluster"

    # The overhead table.
    seconds = namespace["seconds_per_task"]
    assert set(seconds) == {"synchronous", "threads", "processes", "distributed"}
    assert all(0 < s < 0.1 for s in seconds.values())
    assert list(namespace["overhead"].index) == list(seconds)

    # The exercise: the profile of the fixed pipeline, one load and one count per month.
    tasks = namespace["tasks_per_name"]
    assert tasks["load"] == tasks["count_routes"] == 3 and tasks["busiest_route"] == 1
    results = namespace["exercise_profile"].results
    assert namespace["longest_seconds"] == max(t.end_time - t.start_time for t in results) > 0


CHECKS = {
    "plot_01_best_practices": check_best_practices,
    "plot_02_diagnosing_performance": check_diagnosing_performance,
}
