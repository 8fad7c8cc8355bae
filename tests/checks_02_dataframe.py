"""Results checks for the lessons in examples/02_dataframe."""

import pandas as pd
from pandas.io.parsers import readers

from reference import answers, assert_same_answers, clean_trips


def check_same_with_dask(namespace, files):
    assert_same_answers(namespace, files)
    assert namespace["trips"].npartitions == len(files)  # one partition per monthly file
    months = pd.concat([clean_trips(path) for path in files])["starttime"].dt.month.value_counts()
    assert namespace["trips_per_month"].sort_index().tolist() == months.sort_index().tolist()
    assert namespace["trips_per_month"].index.nunique() == 12

    # The mechanics the page states: P2P shuffles with a client; optimize() fuses each partition's
    # steps into one task (3 partitions + 1 tree task), persist() runs that fused graph, and a
    # DataFrame's compute() runs the steps unfused, as more tasks.
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["tasks_in_optimized"] == 3 + 1
    assert namespace["tasks_run_by_persist"] == namespace["tasks_in_optimized"]
    assert namespace["tasks_run_by_compute"] > namespace["tasks_in_optimized"]
    assert {"read-csv", "gt", "dropna", "valuecounts-tree"} <= set(namespace["steps_run_by_compute"])

    timings = namespace["persist_timings"]
    assert [t.name for t in timings.timings] == ["compute() twice", "persist(), then compute() twice"]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert timings["persist(), then compute() twice"].held_bytes > 0  # held on the cluster
    assert (namespace["busy"]["count"] >= 1000).all()


def check_dask_vs_pandas(namespace, files):
    timings = namespace["pandas_vs_dask"]
    assert [t.name for t in timings.timings] == [
        "pandas, 1 file", "Dask, 1 file", "pandas loop, 12 files", "Dask, 12 files",
        'Dask, scheduler="threads", 12 files',
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert "cluster of 1 worker" in timings.measured_on  # the cluster in view, not the build's
    want = answers(files)["trips_per_station"]
    for counts in (namespace["loop_counts"], namespace["dask_threads_counts"]):
        assert counts.sort_index().tolist() == want.sort_index().tolist()
    assert [t.name for t in namespace["no_dates"].timings] == ["pandas loop, no dates", "Dask threads, no dates"]

    # What the page says of pandas' own threads (pandas 3.1): the option exists and defaults to
    # None; a local file of >= 5 MB is read in parallel unless parse_dates is given.
    assert pd.get_option("mode.max_threads") is None
    assert readers._PARALLEL_READ_MIN_BYTES == 5 * 1024 * 1024
    for path in files:
        assert not readers._can_parallelize_csv(str(path), {"parse_dates": ["starttime", "stoptime"]})
        big = path.stat().st_size >= readers._PARALLEL_READ_MIN_BYTES
        assert readers._can_parallelize_csv(str(path), {}) == big
    assert [t.name for t in namespace["pandas_threads"].timings] == ["default threads", "mode.max_threads=1"]


CHECKS = {"plot_01_same_with_dask": check_same_with_dask, "plot_02_dask_vs_pandas": check_dask_vs_pandas}
