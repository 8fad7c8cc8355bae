"""
pandas first: one month of bike trips
=====================================

Before scaling anything, answer three questions about one month of Bluebikes trips with plain
pandas: which stations are busiest, how long subscribers and casual customers ride, and at what
hours people ride. This is the baseline the rest of the course scales up with Dask, so you will
meet these exact lines again.

**You will be able to:** load a trip file with ``pandas.read_csv``, clean out impossible trips,
and answer questions with ``value_counts`` and ``groupby``.

**Estimated time:** 15 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners whose notebook cannot find the data (``DataError``) or
#      who wait while the first call writes 265 MB into their home: check ``DASK_COURSE_DATA`` (the
#      *Dask course* kernel sets it).
#    - **Do not skip:** The cleaning step: every later lesson repeats it, and Dask's answers are
#      checked against these.
#    - **Ask the room:** Which of these lines would you expect to be slow on a year of files, and
#      why?

# %%
# Find the data
# -------------
# The course generates Bluebikes-style trip files on your machine, one CSV per month, with the
# real files' columns (see :doc:`/docs/data`). ``bikes.trip_files()`` lists them; it is the only
# course helper the lessons need, and it only says where the files are.
from tutorial_helpers import bikes

files = bikes.trip_files()
[f.name for f in files]

# %%
# Load one month
# --------------
# ``read_csv`` reads the whole file into memory at once. Parsing the two time columns as dates
# lets us ask for hours and weekdays later.
import pandas as pd

trips = pd.read_csv(files[0], parse_dates=["starttime", "stoptime"])
print(f"{len(trips):,} trips, {trips.memory_usage(deep=True).sum() / 2**20:.1f} MiB in memory")
trips.head()

# %%
# Clean out impossible trips
# --------------------------
# Real trip files have a few broken rows: trips of zero or negative duration, and trips with no
# end station. They would distort averages, so drop them first.
clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
print(f"dropped {len(trips) - len(clean)} of {len(trips):,} rows")

# %%
# Which stations are busiest?
# ---------------------------
# ``value_counts`` counts the trips that start at each station, busiest first.
trips_per_station = clean["start station name"].value_counts()
trips_per_station.head(10)

# %%
# How long do people ride?
# ------------------------
# Subscribers commute; customers (day passes) explore. Durations are in seconds, so divide by
# 60 for minutes.
minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
minutes_by_usertype.round(1)

# %%
# When do people ride?
# --------------------
# Counting trips by the hour they started shows the commuting peaks.
import matplotlib.pyplot as plt

trips_per_hour = clean["starttime"].dt.hour.value_counts().sort_index()
ax = trips_per_hour.plot.bar(xlabel="hour of the day", ylabel="trips", figsize=(8, 3), rot=0)
ax.set_title(f"Trips by starting hour, {files[0].name[:6]}")
plt.tight_layout()

# %%
# Key points
# ----------
# - pandas reads a whole file into memory and computes right away: every line above ran when it
#   was reached. Dask, in the next lesson, records a plan instead (:term:`lazy evaluation`).
# - The analysis is a few lines: read, clean, ``value_counts``, ``groupby``.
# - This works while one file fits in memory comfortably. Twelve months, or twelve years, are
#   where the next lessons start.
#
# Exercise
# --------
# Which day of the week has the most trips in this month, and what is the median trip duration
# in minutes on that day? Put your answer in ``answer`` as a pair, ``(day name, minutes)``, for
# example ``("Monday", 12.5)``, and run the check below: it computes its own answer with pandas
# from the same file and tells you what is off, without giving the answer away.
answer = None  # your answer: replace None

# %%
from tutorial_helpers.exercises import check

check("pandas_first", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       per_weekday = clean["starttime"].dt.day_name().value_counts()
#       busiest_day = per_weekday.index[0]
#       on_that_day = clean[clean["starttime"].dt.day_name() == busiest_day]
#       answer = (busiest_day, on_that_day["tripduration"].median() / 60)
#       check("pandas_first", answer)
