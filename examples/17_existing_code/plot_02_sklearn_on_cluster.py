"""
scikit-learn on the cluster
===========================

A hyper-parameter search fits the same model many times, once per combination of parameters
and fold of the data, and those fits are independent of each other. scikit-learn runs them
through joblib, so one ``with`` block sends them to a Dask cluster instead of local processes.
This lesson tunes a random forest that tells day-pass customers from subscribers, runs the same
search on one process, on local processes and on the cluster, and measures when the cluster
helps and when its overhead outweighs short fits.

**You will be able to:** run a scikit-learn ``GridSearchCV`` on a Dask cluster through
joblib's Dask backend, check that it finds exactly what the default run finds, and judge from
the size of each fit whether distributing a search pays.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Small fits are dominated by overhead, so the Dask backend need not
#      beat one process; learners read that as Dask being slow.
#    - **Do not skip:** joblib's Dask backend changes where ``GridSearchCV``'s fits run, not what they
#      find: the best parameters are the same.
#    - **Ask the room:** How long must one fit take before sending it to a cluster pays off?

# %%
# A model to tune
# ---------------
# Can the time, the length and the start of a ride tell a day-pass customer from a subscriber?
# The features come from one month of trips, June; a 3 % sample (its size is printed below)
# keeps each fit short. Each rider type is one label; always guessing the more common one is the baseline
# any model must beat.
import pandas as pd
from tutorial_helpers import bikes

columns = ["starttime", "tripduration", "start station latitude", "start station longitude",
           "usertype", "birth year", "gender"]
trips = pd.read_csv(bikes.trip_files()[5], usecols=columns, parse_dates=["starttime"])
sample = trips.sample(frac=0.03, random_state=0)
features = pd.DataFrame({
    "hour": sample["starttime"].dt.hour,
    "weekday": sample["starttime"].dt.day_of_week,
    "minutes": sample["tripduration"] / 60,
    "latitude": sample["start station latitude"],
    "longitude": sample["start station longitude"],
    "birth year": sample["birth year"].fillna(0),  # 0: not given
    "gender": sample["gender"],
})
labels = sample["usertype"]
print(f"{len(features):,} rides; baseline accuracy {labels.value_counts(normalize=True).max():.3f}")

# %%
# The search
# ----------
# ``GridSearchCV`` tries every combination of the parameters in the grid, here 2 depths × 2
# leaf sizes, on 2 folds: 8 fits, then one more fit of the best combination on all the data.
# ``n_jobs=-1`` lets joblib run the fits in parallel; where they run is joblib's choice, made
# outside the search. A fixed ``random_state`` makes every fit, and so the whole search,
# reproducible.
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import GridSearchCV

grid = {"max_depth": [4, 12], "min_samples_leaf": [1, 20]}


def forest_search(n_jobs):
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    return GridSearchCV(forest, grid, cv=2, n_jobs=n_jobs)


search = forest_search(n_jobs=None).fit(features, labels)  # scikit-learn's default: one process
print(f"best: {search.best_params_}, accuracy {search.best_score_:.3f}")

# %%
# The same search on local processes
# ----------------------------------
# With ``n_jobs=-1`` and no other instruction, joblib runs the fits on its default backend,
# *loky*: it starts a process per core on this machine, sends each a share of the fits, and
# keeps the processes for later searches. Same folds, same seeds: the same scores.
search_on_processes = forest_search(n_jobs=-1).fit(features, labels)
same_on_processes = (list(search_on_processes.cv_results_["mean_test_score"])
                     == list(search.cv_results_["mean_test_score"]))
print(f"best: {search_on_processes.best_params_}; same scores as the default run: {same_on_processes}")

# %%
# The cluster
# -----------
# joblib's Dask backend sends the fits to the cluster of the current ``Client``: we make one
# here, and close it at the end of the lesson. Its one worker runs as threads of this Python
# process (``processes=False``), as many as the cores this job may use. Threads are enough
# here, because scikit-learn's tree fitting releases Python's GIL, and a script needs no
# ``if __name__ == "__main__":`` for them. Its scheduler and dashboard listen on this
# machine's loopback address only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)
print(f"{sum(client.nthreads().values())} worker threads on the cluster")

# %%
# The same search on the cluster
# ------------------------------
# Nothing in the search changes: the ``with`` block tells joblib to hand its jobs to Dask. The
# data travels to the cluster once (joblib's Dask backend *scatters* each argument over 1 kB,
# such as the features' DataFrame, to one worker; other workers fetch it from there), each fit
# is a task, and the results come back to the search in this process.
# It finds exactly what the default run found: same folds, same seeds, same scores.
import joblib

with joblib.parallel_config(backend="dask"):
    search_on_dask = forest_search(n_jobs=-1).fit(features, labels)
same = (search_on_dask.best_params_ == search.best_params_
        and list(search_on_dask.cv_results_["mean_test_score"])
        == list(search.cv_results_["mean_test_score"]))
print(f"best: {search_on_dask.best_params_}; same scores as the default run: {same}")

# %%
# Measured: one process, local processes, the cluster
# ---------------------------------------------------
# Three ways to run the search: scikit-learn's default, one fit after another; ``n_jobs=-1``
# with joblib's default backend, *loky*, on the processes it started above; and the Dask
# cluster made above, whose worker runs the fits on threads of this process. Each run builds a
# new search; the three searches above were the warm-up runs, so the loky processes are
# already running.


def one_process():
    return forest_search(n_jobs=None).fit(features, labels)


def local_processes():
    return forest_search(n_jobs=-1).fit(features, labels)


def on_dask():
    with joblib.parallel_config(backend="dask"):
        return forest_search(n_jobs=-1).fit(features, labels)


# %%
from tutorial_helpers.timing import compare

forests = compare({"one process": one_process, "loky, n_jobs=-1": local_processes,
                   "Dask backend": on_dask}, warmup=0)  # the searches above were the warm-ups
forests

# %%
# Each fit grows five trees on one half of the sample and is scored on the other half. Whether
# running the fits in parallel beats the bookkeeping of sending them away depends on how long
# one fit takes, against the cost of starting it elsewhere and collecting its score:
print(forests.verdict("loky, n_jobs=-1", "one process",
                      otherwise="Each fit is short here, and starting fits in other processes "
                                "costs more than it saves when the cores are busy."))
print(forests.verdict("Dask backend", "one process",
                      otherwise="Each fit is short here, and what it costs besides the fit "
                                "outweighs running fits side by side: a trip through the "
                                "scheduler, its data and score serialised over TCP, in a "
                                "process whose threads share one GIL with the scheduler "
                                "and this client."))

# %%
# scikit-learn records how long each fit took. Compare it with the cost of a task: about a
# millisecond of the scheduler's bookkeeping, plus the time to send the task and its data to a
# worker and bring the score back.
fit_ms = 1000 * search.cv_results_["mean_fit_time"].mean()
print(f"one fit took {fit_ms:.0f} ms on average (scikit-learn's default run)")

# %%
# When to send a search to the cluster
# ------------------------------------
# - **Many fits, each of a second or more**: the cluster helps, and a cluster of many machines
#   runs as many fits at once as it has worker threads.
# - **Fits far shorter than a second** (compare the average above): keep the search on this
#   machine, or give each fit more work. A grid of a few cheap fits gains nothing from a
#   cluster.
# - **Data**: every worker that runs a fit holds a copy of the training data. The joblib route
#   needs data that fits in one worker's memory, many times over. For data larger than that, or for searches
#   that stop unpromising candidates early, the separate ``dask-ml`` package has searches that
#   train on blocks of a Dask array (``Incremental``, ``HyperbandSearchCV``), and a
#   ``GridSearchCV`` that fits a shared preprocessing step of a pipeline once instead of once
#   per candidate. This course does not install it.

# %%
# Key points
# ----------
# - scikit-learn parallelises with joblib: ``n_jobs=-1`` plus
#   ``with joblib.parallel_config(backend="dask"):`` runs a search's fits on the Dask cluster
#   of the current client, with no change to the search.
# - With fixed seeds, the search finds exactly what the default run finds.
# - It pays when each fit takes long against the overhead of a task and of moving the data;
#   short fits are often faster in one process. The measured table above shows which case
#   this machine was in.
# - Each worker needs the whole training set; ``dask-ml`` covers data larger than that.
#
# Exercise
# --------
# Widen the forest's grid to also try ``n_estimators`` of 5 and 10, and run the search on the
# lesson's cluster, through joblib's Dask backend, recording it with ``get_task_stream()``
# (from ``dask.distributed``). How many fits does the search make, and does its best
# combination match scikit-learn's default run of the same grid? Put the number of fits and the
# search's ``best_params_`` in ``answer`` (a pair: an int, a dict) and the recorded stream in
# ``stream``, and run the check below: it compares with scikit-learn's default run of the
# wide grid on the same sample, counts the fits the cluster ran in ``stream``, and says what
# is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
stream = None  # the task stream recorded around the search: replace None

# %%
from tutorial_helpers.exercises import check

check("sklearn_on_cluster", answer, stream=stream)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       from dask.distributed import get_task_stream
#
#       wide_grid = dict(grid, n_estimators=[5, 10])
#       wide = GridSearchCV(RandomForestClassifier(random_state=0), wide_grid, cv=2, n_jobs=-1)
#       with get_task_stream() as stream, joblib.parallel_config(backend="dask"):  # the lesson's client
#           wide.fit(features, labels)
#       n_fits = len(wide.cv_results_["params"]) * 2 + 1  # every candidate on every fold, and the refit
#       answer = (n_fits, wide.best_params_)
#       print(answer)
#       check("sklearn_on_cluster", answer, stream=stream)

# %%
# Close the cluster
# -----------------
# The exercise done, close the client and its cluster.
client.close()
cluster.close()
