"""Results checks for the lessons in examples/07_io."""

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

    # Exercise: the top customer stations of April.
    april = months[(months["usertype"] == "Customer") & (months["starttime"].dt.month == 4)]
    want_top = april["start station name"].value_counts()
    got_top = namespace["top_customer_stations"]
    assert len(got_top) == min(5, len(want_top))
    assert (got_top.to_numpy() == want_top.loc[got_top.index].to_numpy()).all()
    assert got_top.min() >= want_top.iloc[len(got_top) - 1]


CHECKS = {"plot_01_csv_and_parquet": check_csv_and_parquet}
