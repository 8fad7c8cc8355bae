"""Results checks for the lessons in examples/07_io."""

import functools
import tempfile

import dask.dataframe as dd
import pandas as pd


def _spring_subscribers(trips):
    keep = (trips["usertype"] == "Subscriber") & (trips["tripduration"] > 0)
    keep &= (trips["starttime"] >= "2019-03-01") & (trips["starttime"] < "2019-05-01")
    return trips[keep]


def check_csv_and_parquet(namespace, files):
    january = pd.read_csv(files[0])
    months = pd.concat([pd.read_csv(f, parse_dates=["starttime"]) for f in files[:4]], ignore_index=True)

    # Every way of writing wrote all of January, and the glob read it all back.
    assert namespace["january_rows"] == namespace["january_again_rows"] == len(january)
    written = namespace["written"]
    assert list(written) == ["compute().to_csv()", 'to_csv("trips-*.csv")', "to_csv(single_file=True)",
                             "to_parquet(folder)"]
    assert all(total_bytes > 0 for _, total_bytes in written.values())
    # One CSV file is the same size whether pandas wrote it or Dask appended the partitions.
    assert written["compute().to_csv()"][1] == written["to_csv(single_file=True)"][1]
    timings = namespace["write_timings"]
    assert [t.name for t in timings.timings] == list(written)
    assert all(len(t.seconds) == 3 for t in timings.timings)

    # The spring question: CSV, Parquet and Parquet with filters all give pandas' answer.
    want = _spring_subscribers(months)["tripduration"].mean() / 60
    assert set(namespace["spring_minutes"]) == {"CSV", "Parquet", "Parquet, columns= and filters="}
    for got in namespace["spring_minutes"].values():
        assert abs(got - want) < 1e-9
    assert namespace["parquet_bytes"] < namespace["csv_bytes"]
    # The optimiser narrows both reads to the three columns the question uses; filters= drops
    # the files of months that are not spring.
    question_columns = ["starttime", "tripduration", "usertype"]
    assert namespace["columns_read"] == {"CSV": question_columns, "Parquet": question_columns}
    assert namespace["partitions_all"] == 4
    assert namespace["partitions_filtered"] == 2
    assert [t.name for t in namespace["read_timings"].timings] == [
        "read_csv, then filter", "read_parquet, then filter", "read_parquet(columns=, filters=)"]

    # The glob of the spring files, per file.
    spring = [f for f in files if f.name[4:6] in ("03", "04")]
    by_file = pd.DataFrame(
        {f.name: _spring_subscribers(pd.read_csv(f, parse_dates=["starttime"]))["tripduration"].agg(["count", "mean"])
         for f in spring}
    ).T
    got = namespace["spring_by_file"].rename(index=lambda path: path.rsplit("/", 1)[-1]).sort_index()
    pd.testing.assert_frame_equal(got, by_file.sort_index(), check_dtype=False, check_index_type=False,
                                  check_names=False, check_exact=False, rtol=1e-9)

    # Exercise: the top customer stations of April, from a read of one column with filters=.
    april = months[(months["usertype"] == "Customer") & (months["starttime"].dt.month == 4)]
    want_top = april["start station name"].value_counts()
    got_top = namespace["answer"]
    plan = namespace["plan"]
    reads = [s for s in plan.optimize(fuse=False).expr.walk() if not s.dependencies()]
    assert [list(s.columns) for s in reads] == [["start station name"]]
    assert namespace["april_customers"].npartitions == 1  # filters= left April's file alone
    assert len(got_top) == min(5, len(want_top))
    assert (got_top.to_numpy() == want_top.loc[got_top.index].to_numpy()).all()
    assert got_top.min() >= want_top.iloc[len(got_top) - 1]


CHECKS = {"plot_01_csv_and_parquet": check_csv_and_parquet}


# -- typical wrong answers to the exercises (tests/test_exercises.py) --------------------------------

CSV_OPTIONS = {"dtype": {"birth year": "float64", "end station id": "float64"}, "parse_dates": ["starttime", "stoptime"]}
APRIL_FILTERS = [
    ("usertype", "==", "Customer"),
    ("starttime", ">=", pd.Timestamp("2019-04-01")),
    ("starttime", "<", pd.Timestamp("2019-05-01")),
]


@functools.cache
def _parquet_folder(months):
    """The lesson's Parquet copy of the first four months, in a folder deleted when Python exits."""
    folder = tempfile.TemporaryDirectory(prefix="dask-io-wrong-")
    dd.read_csv(list(months), **CSV_OPTIONS).to_parquet(folder.name, write_index=False,
                                                        compute_kwargs={"scheduler": "sync"})
    return folder


def _parquet_copy(months):
    return _parquet_folder(months).name


def _april_top(files, usertype="Customer"):
    trips = pd.concat([pd.read_csv(f, usecols=["usertype", "start station name", "starttime"],
                                   parse_dates=["starttime"]) for f in files[:4]])
    april = trips[(trips["usertype"] == usertype) & (trips["starttime"].dt.month == 4)]
    return april["start station name"].value_counts().nlargest(5)


def _read_all_then_filter(files):
    """Right stations (counted here by pandas), but a plan that reads every column and filters in Dask."""
    trips = dd.read_parquet(_parquet_copy(tuple(files[:4])))
    keep = (trips["usertype"] == "Customer") & (trips["starttime"] >= "2019-04-01") & (trips["starttime"] < "2019-05-01")
    plan = trips[keep]["start station name"].value_counts().nlargest(5)
    return {"answer": _april_top(files), "plan": plan}


def _customers_filtered_april_selected(files):
    """Right stations, filters= for the customers only; April chosen in Dask, so the start times are read too.

    (Reading the filter columns with columns= and then counting only the stations is no mistake: the
    optimiser drops the unused columns from the read.)
    """
    trips = dd.read_parquet(_parquet_copy(tuple(files[:4])), columns=["start station name", "starttime"],
                            filters=APRIL_FILTERS[:1])
    april = trips[(trips["starttime"] >= "2019-04-01") & (trips["starttime"] < "2019-05-01")]
    plan = april["start station name"].value_counts().nlargest(5)
    return {"answer": _april_top(files), "plan": plan}


def _all_four_months(files):
    trips = pd.concat([pd.read_csv(f, usecols=["usertype", "start station name"]) for f in files[:4]])
    return {"answer": trips.loc[trips["usertype"] == "Customer", "start station name"].value_counts().nlargest(5)}


def _subscribers(files):
    return {"answer": _april_top(files, "Subscriber")}


def _names_only(files):
    return {"answer": list(_april_top(files).index)}


WRONG_ANSWERS = {
    "plot_01_csv_and_parquet": [
        _read_all_then_filter, _customers_filtered_april_selected, _all_four_months, _subscribers, _names_only,
    ],
}
