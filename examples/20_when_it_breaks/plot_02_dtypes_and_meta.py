"""
Wrong guesses: mismatched dtypes and metadata
=============================================

Dask plans a computation before it reads the data, so it has to guess what every partition will
look like: the columns and dtypes of a CSV file from its first rows, the output of your own
function from a call on made-up values. When the real data disagrees, the error mostly comes later, at
``compute()``, from a worker, and far from the line that caused it. You will trigger three
common errors of this kind on the Bluebikes trip files, read what each message tells you, confirm
the cause, and fix it.

**You will be able to:** recognise "Mismatched dtypes found in ``pd.read_csv``", "The columns in
the computed data do not match the columns in the provided metadata" and "``get_dummies`` with
unknown categories is not supported"; find the failed task in a worker's log; fix them with
``dtype=``/``assume_missing=``, a correct ``meta=``, and known categories; and explain why Dask
warns "You did not provide metadata".

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners read the error at ``compute()`` and look for the bug
#      in the line they just ran; the cause is the ``read_csv`` or ``map_partitions`` call many
#      lines earlier, where Dask guessed.
#    - **Do not skip:** Dask guesses dtypes from the first ``sample_rows`` (10) rows of the first
#      file only: more sample bytes do not help, ``dtype=`` does.
#    - **Ask the room:** Why does pandas never raise "Mismatched dtypes" on the same file?

# %%
# A cluster of our own
# --------------------
# The failures below happen inside tasks, on a worker, and reach us as an exception at
# ``compute()``: that is how they look on a real cluster too. One worker, with as many threads as
# this job has cores, runs as threads of this Python process. ``silence_logs`` keeps the worker's
# error log off the screen; the worker still keeps it, and we read it back with
# ``client.get_worker_logs()``.
import logging

from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs=logging.CRITICAL,
)
client = Client(cluster)

# %%
# A worker's log lists each failed task as a "Compute Failed" record: its key, its state, and the
# exception. The key holds a token that changes with the files' paths, so this small function
# prints the record with the token cut short, and only the first line of the exception's message.
import re


def failed_tasks(client):
    """The newest "Compute Failed" record of the worker's log, and how many there are."""
    (records,) = client.get_worker_logs().values()  # newest first
    failed = [text for level, text in records if "Compute Failed" in text]
    if not failed:
        return 0, ""
    lines = failed[0].split(" - ", 3)[-1].splitlines()  # drop the time and logger name
    shown = [line for line in lines if line.startswith(("Compute Failed", "Key:", "State:", "Exception:"))]
    shown = [re.split(r"\\+n", re.sub(r"-[0-9a-f]{32}", "-…", line))[0] for line in shown]
    shown = [line.replace("Exception: '", "Exception: ") for line in shown]
    return len(failed), "\n".join(shown)


# %%
# .. _breaks-mismatched-dtypes:
#
# "Mismatched dtypes found in ``pd.read_csv``/``pd.read_table``"
# ---------------------------------------------------------------
# ``dd.read_csv`` returns at once, with the columns and dtypes already decided. It decides them
# by reading the start of the first file with pandas, and only its first ``sample_rows`` rows:
import inspect

import dask.dataframe as dd
from tutorial_helpers import bikes

files = bikes.trip_files()
winter = files[:3]  # January to March
print("sample_rows:", inspect.signature(dd.read_csv).parameters["sample_rows"].default)
trips = dd.read_csv(winter)
guessed_dtypes = trips.dtypes[["birth year", "end station id"]].astype(str).to_dict()
guessed_dtypes

# %%
# Those ten rows of January all have a birth year and an end station, so Dask guessed whole
# numbers. Each partition is then read by pandas on a worker, and Dask checks the dtypes pandas
# found against its guess. A column with even one empty field further on is ``float64`` in
# pandas (``int64`` cannot hold a missing value), so the first computation that reads those
# columns fails:
try:
    trips[["birth year", "end station id"]].count().compute()
except ValueError as error:
    dtype_message = str(error)
    print(f"{type(error).__name__}: {dtype_message}")

# %%
# The message is raised by ``coerce_dtypes`` in ``dask/dataframe/io/csv.py``, which runs in
# every ``read_csv`` task: a column that pandas read as float where Dask expected an integer is
# always reported (so is a date column pandas could not parse); other differences only when
# converting to the expected dtype fails. Because all differences here are int→float, the message
# also suggests ``assume_missing=True``. The worker's log has a record of each task that failed:
dtype_failures, dtype_log = failed_tasks(client)
print(f"{dtype_failures} failed tasks; the newest:")
print(dtype_log)

# %%
# How to confirm it
# ~~~~~~~~~~~~~~~~~
# Read one whole file with pandas (pandas reads everything before choosing a dtype) and look at
# the two columns: they are ``float64``, with missing values, and the first one comes after the
# ten rows Dask looked at.
import pandas as pd

january = pd.read_csv(winter[0], usecols=["birth year", "end station id"])
evidence = pd.DataFrame({
    "pandas dtype": january.dtypes.astype(str),
    "missing values": january.isna().sum(),
    "first missing at row": january.isna().idxmax(),
})
evidence

# %%
# The fix: say what the sample cannot tell
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# Give those columns their dtype, as the message suggests. The same count now runs, and it
# matches pandas reading the same three files.
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
trips = dd.read_csv(winter, dtype=trip_dtypes)
counts = trips[["birth year", "end station id"]].count().compute()
pandas_counts = pd.concat(pd.read_csv(f, usecols=list(trip_dtypes)) for f in winter).count()
print(counts.to_dict(), "| same as pandas:", counts.to_dict() == pandas_counts.to_dict())

# %%
# ``assume_missing=True`` is the blunt alternative: every integer column that ``dtype=`` does not
# name becomes ``float64``, those that never miss a value too:
guessed, blunt = dd.read_csv(winter).dtypes, dd.read_csv(winter, assume_missing=True).dtypes
made_float = [column for column in blunt.index if guessed[column] == "int64" and blunt[column] == "float64"]
made_float

# %%
# Naming the columns keeps ``tripduration``, ``start station id`` and ``bikeid`` whole numbers;
# ``assume_missing`` is handy when you do not know yet which columns have gaps. A bigger
# ``sample=`` (bytes read from the first file) does not help: the dtypes come from the first
# ``sample_rows`` rows of it.
with_big_sample = dd.read_csv(winter, sample=2**24).dtypes["birth year"]
print(f"sample=16 MiB: 'birth year' guessed as {with_big_sample}")

# %%
# .. _breaks-meta-columns:
#
# "The columns in the computed data do not match the columns in the provided metadata"
# --------------------------------------------------------------------------------------
# ``map_partitions`` runs your own pandas function on every partition. Dask must know the
# result's columns before anything runs (its *meta*); without ``meta=`` it calls your function
# once on a tiny partition of made-up values. Here the function one-hot encodes the user type,
# which gives one column per user type *found in the data*, and the made-up user types are these:
print("made-up user types:", trips._meta_nonempty["usertype"].tolist())


def one_hot_usertype(df):
    return pd.get_dummies(df["usertype"], dtype="int64")


one_hot = trips.map_partitions(one_hot_usertype)
inferred_columns = one_hot.columns.tolist()
print("columns Dask expects:", inferred_columns)

# %%
# The plan is built on a column called ``a``. The real partitions have other columns, and the
# computation fails:
try:
    one_hot.sum().compute()
except ValueError as error:
    meta_message = str(error)
    print(f"{type(error).__name__}: {meta_message}")

# %%
# Every task that ``map_partitions`` makes runs ``apply_and_enforce`` (in
# ``dask/dataframe/core.py``): it calls your function, then compares the result's column names,
# and their order, with the meta (``check_matching_columns`` in ``dask/dataframe/utils.py``). The
# worker logs it:
meta_failures, meta_log = failed_tasks(client)
print(meta_log)

# %%
# How to confirm it
# ~~~~~~~~~~~~~~~~~
# Compare the meta with what your function really returns on a real partition, computed alone:
real_columns = one_hot_usertype(trips.partitions[0].compute()).columns.tolist()
print("meta:", inferred_columns, "| real partition:", real_columns)

# %%
# The fix: a correct ``meta=``, for a function whose columns do not depend on the data
# ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
# Giving ``meta={"Customer": "int64", "Subscriber": "int64"}`` to the same function is not
# enough: the check runs on every partition, and a partition with only subscribers (here, the
# subscribers' trips alone) gives one column:
user_types = ["Customer", "Subscriber"]
columns_meta = {kind: "int64" for kind in user_types}
subscribers = trips[trips["usertype"] == "Subscriber"]
try:
    subscribers.map_partitions(one_hot_usertype, meta=columns_meta).sum().compute()
except ValueError as error:
    subscribers_message = str(error)
    print(f"{type(error).__name__}: {subscribers_message}")

# %%
# So fix the function too: with the user types as a categorical of known categories,
# ``get_dummies`` gives both columns for every partition, even an empty one; then ``meta=`` says
# so, and Dask makes no call on made-up values. The sums match pandas' counts of user types.
usertype_dtype = pd.CategoricalDtype(user_types)


def one_hot_usertype(df):
    return pd.get_dummies(df["usertype"].astype(usertype_dtype), dtype="int64")


one_hot = trips.map_partitions(one_hot_usertype, meta=columns_meta)
one_hot_sums = one_hot.sum().compute()
pandas_usertypes = pd.concat(pd.read_csv(f, usecols=["usertype"]) for f in winter)["usertype"].value_counts()
print(one_hot_sums.to_dict(), "| same as pandas:", one_hot_sums.to_dict() == pandas_usertypes.to_dict())

# %%
# Dask checks the names and order of the columns, not their dtypes: a ``meta=`` with the wrong
# dtype passes every check and is only wrong. Dask plans with ``float64`` here, and pandas
# returns ``int64``:
wrong_dtype = trips.map_partitions(one_hot_usertype, meta={kind: "float64" for kind in user_types})
declared_dtype, computed_dtype = str(wrong_dtype["Customer"].dtype), str(wrong_dtype["Customer"].compute().dtype)
print(f"declared: {declared_dtype}, computed: {computed_dtype}")

# %%
# .. _breaks-meta-warning:
#
# "You did not provide metadata, so Dask is running your function on a small dataset"
# -----------------------------------------------------------------------------------
# ``map_partitions`` guesses without a word. ``DataFrame.apply`` and ``Series.apply`` and ``map``
# make the same guess, but warn (a ``UserWarning``, at the line that builds the plan, not at
# ``compute()``), and the warning prints the ``meta=`` that would silence it. A row-wise test for
# round trips:
import warnings


def round_trip(row):
    return row["start station id"] == row["end station id"]


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    guessed_flags = trips.apply(round_trip, axis=1)
apply_warning = str(caught[0].message).strip()
print(f"{caught[0].category.__name__}: {apply_warning}")

# %%
# The fix: ``meta=(name, dtype)`` for a Series. No warning, no call on made-up values, and the
# count of round trips in January matches pandas (row-wise ``apply`` calls Python once per row,
# so January only; comparing the two columns with ``==`` needs neither ``apply`` nor ``meta=``).
with warnings.catch_warnings(record=True) as caught_with_meta:
    warnings.simplefilter("always")
    flagged = trips.partitions[0].apply(round_trip, axis=1, meta=("round_trip", "bool"))
round_trips = int(flagged.sum().compute())
first = pd.read_csv(winter[0], dtype=trip_dtypes)
print(f"warnings: {len(caught_with_meta)}; round trips in January: {round_trips:,}, "
      f"pandas: {int((first['start station id'] == first['end station id']).sum()):,}")

# %%
# .. _breaks-unknown-categories:
#
# "``get_dummies`` with unknown categories is not supported"
# -----------------------------------------------------------
# Dask's own ``dd.get_dummies`` needs what our fixed function needed: every category, before
# anything is read, since they become the result's columns. A column turned categorical with
# ``astype("category")`` has *unknown* categories (finding them would mean reading all the data),
# and this failure comes at once, when the plan is built, not from a worker:
usertype = trips["usertype"].astype("category")
print("categories known:", usertype.cat.known)
try:
    dd.get_dummies(usertype, dtype="int64")
except NotImplementedError as error:
    categories_message = str(error)
    print(f"{type(error).__name__}: {categories_message}")

# %%
# The message suggests ``.cat.as_known()``. It computes the categories at once: ``unique()`` of
# each partition's categories, which shuffles them into as many output partitions as the column
# has. Each file makes at least one partition, so there are more output partitions than user
# types, and at least one receives nothing. With a client the shuffle method is P2P, and P2P makes
# an output partition that receives nothing from a copy of the *meta*. That meta is not empty: it
# is the categories of the column's meta, Dask's placeholder for unknown categories. So the
# placeholder comes back among the categories, and the column is still "unknown" (dask 2026.8; an
# open bug, `dask/dask#11572 <https://github.com/dask/dask/issues/11572>`_):
from dask.utils import get_default_shuffle_method

shuffle_method, meta_categories = get_default_shuffle_method(), usertype.dtype.categories.tolist()
print(f"shuffle: {shuffle_method} | partitions: {usertype.npartitions} | meta: {meta_categories}")
known = usertype.cat.as_known()
as_known_categories = known.dtype.categories.tolist()
print("categories known:", known.cat.known, "|", as_known_categories)

# %%
# The tasks shuffle makes every output partition from pieces of the data, never from the meta, so
# an output partition that receives nothing stays empty. With it, the same call finds the two
# user types:
import dask

with dask.config.set({"dataframe.shuffle.method": "tasks"}):
    tasks_known = usertype.cat.as_known()
tasks_categories = tasks_known.dtype.categories.tolist()
print("tasks shuffle, categories known:", tasks_known.cat.known, "|", tasks_categories)

# %%
# What works whatever the shuffle: give the categories yourself with
# ``astype(pd.CategoricalDtype([...]))``, which reads nothing, or let
# ``df.categorize(columns=[...])`` find them (it combines the partitions' categories in a tree, with
# no shuffle). The result equals ours:
usertype = trips["usertype"].astype(usertype_dtype)
dummy_sums = dd.get_dummies(usertype, dtype="int64").sum().compute()
categorized_known = trips.categorize(columns=["usertype"])["usertype"].cat.known
print(f"categorize(): known {categorized_known}")
print(usertype.cat.known, dummy_sums.to_dict(), "| same as ours:", dummy_sums.to_dict() == one_hot_sums.to_dict())

# %%
# Key points
# ----------
# - Dask decides dtypes and columns before it reads the data, and finds out it was wrong only in
#   a task, at ``compute()``. The cause is the line where it guessed.
# - ``dd.read_csv`` guesses dtypes from the first 10 rows (``sample_rows``) of the first file; a
#   missing value later turns an ``int64`` column into ``float64`` and raises "Mismatched dtypes
#   found". Fix: ``dtype={...}`` for those columns (the message lists them), or
#   ``assume_missing=True``.
# - ``map_partitions`` without ``meta=`` calls your function on made-up values; each task then
#   checks the names and order of the result's columns (not their dtypes) against that meta.
#   Fix: a function whose columns do not depend on the data, and ``meta=`` that says what they
#   are. ``apply`` and ``map`` warn "You did not provide metadata" and print the ``meta=`` to add.
# - Categories are part of the meta: ``astype("category")`` gives unknown categories, which
#   ``get_dummies`` refuses; a ``CategoricalDtype`` or ``categorize()`` makes them known.
#   ``.cat.as_known()`` did not with the P2P shuffle a client uses by default (dask 2026.8): it
#   found the placeholder among the categories.
# - To confirm: the worker's log ("Compute Failed", with the task's key) says which task failed;
#   read that partition, or the whole file, with pandas and compare with ``ddf.dtypes`` or
#   ``ddf.columns``.
#
# Exercise
# --------
# Read all twelve monthly files with ``dd.read_csv`` into a Dask DataFrame ``year`` that can be
# computed without a dtype error, keeping ``tripduration`` a whole number. Then compute the mean
# birth year of the trips by subscribers (``usertype == "Subscriber"``; rows without a birth
# year do not count). Put the mean in ``answer`` (a float) and pass ``year`` to the check, which
# looks at its dtypes without computing it and compares your mean with pandas.
answer = None  # your answer, computed: replace None
year = None  # your Dask DataFrame of the twelve files: replace None

# %%
from tutorial_helpers.exercises import check

check("dtypes_and_meta", answer, frame=year)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       year = dd.read_csv(files, dtype={"birth year": "float64", "end station id": "float64"})
#       subscribers_birth_year = year[year["usertype"] == "Subscriber"]["birth year"].mean()
#       answer = float(subscribers_birth_year.compute())
#       print(f"mean birth year of subscribers: {answer:.2f}")
#       check("dtypes_and_meta", answer, frame=year)

# %%
# Close the cluster
# -----------------
# The client and the cluster hold threads, ports and memory until they are closed: close the
# client first, then the cluster.
client.close()
cluster.close()
