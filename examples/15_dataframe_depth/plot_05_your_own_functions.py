"""
Your own functions: map_partitions, custom aggregations, categoricals and strings
=================================================================================

Sooner or later a pandas function of your own has to run on a Dask DataFrame. Dask runs it once
per partition, but it must know what the result will look like before anything runs: that is
``meta``. A function per *group* is harder: ``groupby.apply`` moves every group's rows into one
place, while a ``dd.Aggregation`` says how to reduce each partition and combine the pieces, the
way Dask's own ``sum`` and ``mean`` work. The lesson ends with two dtypes that make groupbys and
strings cheap: categoricals with *known* categories, and Arrow strings.

**You will be able to:** apply your own function with ``map_partitions`` and a correct ``meta``,
write a custom aggregation with ``dd.Aggregation`` instead of ``groupby.apply``, make a column
categorical with known categories, and recognise Arrow-backed string columns.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Without ``meta`` Dask calls the function on a fake partition, and a
#      wrong ``meta`` is believed, not checked.
#    - **Do not skip:** ``dd.Aggregation`` moves partial results between workers, ``groupby.apply`` moves
#      every row of each group.
#    - **Ask the room:** What must ``chunk``, ``agg`` and ``finalize`` each return for a mean?

# %%
# A cluster in this process
# -------------------------
# The functions below run on a ``dask.distributed`` cluster, and the trips are kept in its
# workers' memory with ``persist()``. This starts one worker with as many threads as this job
# may use cores, as threads of this Python process, with every service on this machine's
# loopback address. With a client, a shuffle runs peer-to-peer (P2P); without one, with the
# ``"disk"`` method:
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs="error",  # P2P logs its shuffles' bookkeeping as warnings
)
client = Client(cluster)

from dask.utils import get_default_shuffle_method

shuffle_method = get_default_shuffle_method()
print("shuffle method in force:", shuffle_method)

# %%
# January's trips
# ---------------
# In three partitions, with the columns this lesson needs.
import dask.dataframe as dd
from tutorial_helpers import bikes

january = bikes.trip_files()[0]
columns = ["tripduration", "starttime", "start station id", "usertype", "birth year"]
third = january.stat().st_size // 3  # three partitions, whatever the size of the file
trips = dd.read_csv(january, usecols=columns, parse_dates=["starttime"],
                    dtype={"birth year": "float64"}, blocksize=third).persist()
print(f"{len(trips):,} trips in {trips.npartitions} partitions")

# %%
# ``map_partitions`` and ``meta``
# -------------------------------
# A pandas function of your own, the trip's duration in minutes, rounded up, and the rider's age
# when the trip started:
import numpy as np
import pandas as pd


def add_minutes_and_age(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(minutes=np.ceil(df["tripduration"] / 60).astype("int64"),
                     age=df["starttime"].dt.year - df["birth year"])


# %%
# Without ``meta``, Dask has to guess the result's columns and dtypes before anything runs: it
# calls the function on a tiny fake partition of made-up values. A function that records what it
# is given shows this; the call happens when the collection is *defined*, not computed:
seen = []


def minutes(df):
    seen.append(df["usertype"].tolist())
    return df["tripduration"] / 60


guessed = trips.map_partitions(minutes)
print(f"calls before any compute: {len(seen)}, with usertype values {seen[0]}")

# %%
# That costs a call, and a function that does not survive made-up values (a lookup of station
# ids that do not exist, a division by a fake zero) fails there, or guesses wrong. With ``meta``,
# an empty pandas object of the right columns and dtypes, Dask calls nothing until asked. Here the
# function also works on an empty frame, so it can make its own ``meta`` from the empty frame
# Dask keeps for ``trips`` (``trips._meta``):
seen.clear()
meta = add_minutes_and_age(trips._meta)
with_age = trips.map_partitions(add_minutes_and_age, meta=meta)
print(f"calls before any compute: {len(seen)}")
print(meta.dtypes.to_string())
print(f"median age: {with_age['age'].median_approximate().compute():.0f} years")

# %%
# Computed, the function's new columns, as pandas, first rows:
computed_with_age = with_age.compute()
computed_with_age[["starttime", "birth year", "age", "tripduration", "minutes"]].head(3)

# %%
# Dask believes ``meta`` without checking it. Declared as ``float64``, a column of strings stays
# ``float64`` for Dask until it is computed, and every plan made on the way used the wrong dtype:
wrong = trips.map_partitions(lambda df: df["usertype"], meta=("usertype", "float64"))
print(f"declared dtype: {wrong.dtype}, computed dtype: {wrong.compute().dtype}")

# %%
# A custom aggregation
# --------------------
# The spread of trip durations per user type, as the range ``max - min``. ``groupby.apply`` runs
# any pandas function on each group, but it must first bring every group's rows together: a
# shuffle of all the rows. A ``dd.Aggregation`` describes the reduction instead: ``chunk`` reduces
# each partition's groups, ``agg`` combines those partial results, ``finalize`` makes the answer.
# Only one small row per group and partition moves.
spread = dd.Aggregation(
    name="spread",
    chunk=lambda grouped: (grouped.max(), grouped.min()),
    agg=lambda maxima, minima: (maxima.max(), minima.min()),
    finalize=lambda maximum, minimum: maximum - minimum,
)
by_aggregation = trips.groupby("usertype")["tripduration"].agg(spread).compute()
by_apply = (trips.groupby("usertype")["tripduration"]
            .apply(lambda s: s.max() - s.min(), meta=("tripduration", "int64")).compute())
pd.DataFrame({"Aggregation": by_aggregation, "apply": by_apply.sort_index()})

# %%
# The same answer, by two plans. Their tasks by name, for the spread of durations per start
# station: the Aggregation reduces each partition (``chunk``) and combines the partial results
# in a tree; ``apply`` first shuffles every row (here with P2P: ``shuffle-transfer``,
# ``shuffle-barrier``, ``p2pshuffle``):
from collections import Counter

from dask.utils import key_split

stations = trips.groupby("start station id")["tripduration"]
aggregation_plan = stations.agg(spread)
aggregation_tasks = Counter(key_split(key) for key in aggregation_plan.optimize().__dask_graph__())
apply_plan = stations.apply(lambda s: s.max() - s.min(), meta=("tripduration", "int64"))
apply_tasks = Counter(key_split(key) for key in apply_plan.optimize().__dask_graph__())
print("dd.Aggregation:", dict(aggregation_tasks))
print("groupby.apply: ", dict(apply_tasks))

# %%
# Timed, each run computing the spread of durations per start station:
from tutorial_helpers.timing import compare

agg_timings = compare({
    "dd.Aggregation": lambda: stations.agg(spread).persist(),
    "groupby.apply": lambda: stations.apply(lambda s: s.max() - s.min(),
                                            meta=("tripduration", "int64")).persist(),
})
agg_timings

# %%
print(agg_timings.verdict(
    "dd.Aggregation", "groupby.apply",
    otherwise="With three partitions of one month, the shuffle behind apply is small; its cost "
    "grows with the rows, while the Aggregation's moves only one row per group and partition.",
))

# %%
# Categoricals and known categories
# ---------------------------------
# ``usertype`` holds only two distinct values, repeated in every row. As a categorical, each row
# stores a small code. In Dask, ``astype("category")`` alone gives categories that are *unknown*:
# each partition has its own, and Dask cannot say what columns a ``pivot_table`` or ``get_dummies`` would make
# without reading everything. Reading the distinct values once and giving them as the dtype's
# categories makes them *known*:
as_category = trips["usertype"].astype("category")
print(f"after astype('category'): known categories: {as_category.cat.known}")
user_types = trips["usertype"].drop_duplicates().compute().sort_values().tolist()
known = trips["usertype"].astype(pd.CategoricalDtype(user_types))
print(f"with the categories given: known: {known.cat.known}, {list(known.cat.categories)}")
print(f"memory: {trips['usertype'].memory_usage(deep=True).compute() / 1e6:.2f} MB as strings, "
      f"{known.memory_usage(deep=True).compute() / 1e6:.2f} MB as a categorical")

# %%
# Known categories let Dask plan without looking: ``dd.get_dummies`` needs them to know its
# output columns.
dummies = dd.get_dummies(known)
print("columns:", list(dummies.columns))
user_counts = dummies.sum().compute()
print({name: int(count) for name, count in user_counts.items()})

# %%
# Arrow strings
# -------------
# Dask reads text columns as pandas' ``string`` dtype backed by Apache Arrow (``pyarrow``), not
# as Python objects: a column of strings is a few contiguous buffers rather than a million Python
# objects, smaller in memory and faster to compare, hash and send between workers.
print(f"usertype dtype: {trips['usertype'].dtype}")
print(f"storage: {trips['usertype'].dtype.storage}")

# %%
# Key points
# ----------
# - ``map_partitions(func, meta=...)`` runs ``func`` on each pandas partition; ``meta`` says the
#   result's columns and dtypes, so Dask need not run ``func`` on fake data to guess. Dask
#   trusts ``meta``: a wrong one is not caught until compute time.
# - ``groupby.apply`` shuffles all rows so each group is in one place; a ``dd.Aggregation``
#   (``chunk``, ``agg``, ``finalize``) reduces each partition first and moves only partial results.
# - ``astype("category")`` leaves categories unknown in Dask; ``astype(pd.CategoricalDtype(values))``
#   with the distinct values read once makes them known, which ``get_dummies`` and pivots need.
# - Text columns are Arrow-backed strings: compact and fast to hash and move.

# %%
# Exercise
# --------
# Write a ``dd.Aggregation`` for the mean trip duration per user type from a sum and a count
# (``chunk`` returns both, ``agg`` sums both, ``finalize`` divides), use it on ``trips``, and
# compare it with ``groupby(...).mean()``. Put your Aggregation's means in ``answer`` (a pandas
# Series of the mean duration in seconds, indexed by user type) and run the check below, passing
# your Aggregation (``aggregation=...``): it compares with means computed with pandas from the
# same file, runs your Aggregation on that data cut into other partitions, and says what is
# wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("your_own_functions", answer, aggregation=None)  # aggregation: your dd.Aggregation

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       custom_mean = dd.Aggregation(
#           name="custom_mean",
#           chunk=lambda grouped: (grouped.sum(), grouped.count()),
#           agg=lambda sums, counts: (sums.sum(), counts.sum()),
#           finalize=lambda total, count: total / count,
#       )
#       answer = trips.groupby("usertype")["tripduration"].agg(custom_mean).compute()
#       builtin_mean = trips.groupby("usertype")["tripduration"].mean().compute()
#       print(pd.DataFrame({"custom": answer, "built-in": builtin_mean}))
#       check("your_own_functions", answer, aggregation=custom_mean)

# %%
# Close the cluster
# -----------------
# The worker, and the trips it holds in memory, go away with it.
client.close()
cluster.close()
