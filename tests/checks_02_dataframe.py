"""Results checks for the lessons in examples/02_dataframe."""

from reference import assert_same_answers


def check_same_with_dask(namespace, files):
    assert_same_answers(namespace, files)
    timings = namespace["persist_timings"]
    assert [t.name for t in timings.timings] == ["compute() twice", "persist(), then compute() twice"]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    assert (namespace["busy"]["count"] >= 1000).all()


CHECKS = {"plot_01_same_with_dask": check_same_with_dask}
