"""Results checks for the lessons in examples/02_dataframe."""

from reference import answers, assert_same_answers


def check_same_with_dask(namespace, files):
    assert_same_answers(namespace, files)
    timings = namespace["persist_timings"]
    assert [t.name for t in timings.timings] == ["compute() twice", "persist(), then compute() twice"]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert (namespace["busy"]["count"] >= 1000).all()


def check_dask_vs_pandas(namespace, files):
    timings = namespace["pandas_vs_dask"]
    assert [t.name for t in timings.timings] == [
        "pandas, 1 file", "Dask, 1 file", "pandas loop, 12 files", "Dask, 12 files",
        'Dask, scheduler="threads", 12 files',
    ]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    want = answers(files)["trips_per_station"]
    for counts in (namespace["loop_counts"], namespace["dask_threads_counts"]):
        assert counts.sort_index().tolist() == want.sort_index().tolist()
    assert [t.name for t in namespace["no_dates"].timings] == ["pandas loop, no dates", "Dask threads, no dates"]


CHECKS = {"plot_01_same_with_dask": check_same_with_dask, "plot_02_dask_vs_pandas": check_dask_vs_pandas}
