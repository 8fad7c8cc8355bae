"""Results checks for the lessons in examples/20_when_it_breaks: each failure still happens, each fix works.

Every failure a lesson reproduces must still happen with the pinned versions, with a message that
starts as MESSAGES says (the topic's index quotes these; tests/test_lessons.py checks that it
does), and every fix must give what plain pandas, NumPy or Python give.
"""

import functools
import math
import socket
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.utils import parse_bytes

from tutorial_helpers import bikes
from tutorial_helpers.exercises.when_it_breaks import long_trips_by_file

OUT_OF_MEMORY = "plot_01_out_of_memory"
DTYPES_AND_META = "plot_02_dtypes_and_meta"
CODE_ON_WORKERS = "plot_03_code_on_workers"
PORTS_AND_CONNECTIONS = "plot_04_ports_and_connections"
SLOW_NOT_BROKEN = "plot_05_slow_not_broken"


# -- 20.1, out of memory ---------------------------------------------------------------------------


def check_out_of_memory(namespace, files):
    messages = MESSAGES[OUT_OF_MEMORY]
    assert namespace["default_allowed_failures"] == 3
    assert namespace["allowed_failures"] == 1
    assert namespace["fractions"]["monitor-interval"] == "100ms"  # "checks … every 100 ms"
    assert namespace["thresholds"] == {"spill": "70% = 350 MiB", "pause": "80% = 400 MiB",
                                       "terminate": "95% = 475 MiB"}

    # 1. KilledWorker after allowed-failures + 1 deaths, each a nanny kill for memory.
    assert namespace["killed_type"] == "KilledWorker"
    message = namespace["killed_message"]
    assert message.startswith(messages["breaks-killed-worker"]), message
    assert "on 2 different workers, but all those workers died while running it" in message
    assert any("exceeded 95% memory budget. Restarting..." in line for line in namespace["nanny_lines"])
    assert any("marked as failed because 2 workers died" in line for line in namespace["scheduler_lines"])
    assert len(namespace["restarts"]) >= 2
    assert all(event["rss"] > 0.95 * namespace["memory_limit"] for _, event in namespace["restarts"])
    # The fix: the same numbers in small chunks, no worker killed.
    assert namespace["numbers"].npartitions == 32
    assert abs(namespace["mean"] - 0.5) < 1e-3
    assert namespace["restarts_after_fix"] == 0

    # 2. Paused by unmanaged memory: status, the waiting task, both log warnings; the fix never pauses.
    assert "paused" in namespace["statuses"]
    assert namespace["tiny_while_paused"] == "pending"
    assert namespace["tiny_after"] == "finished" and namespace["tiny_result"] == 6
    assert max(m["memory"] for m in namespace["paused_metrics"]) > 0.8 * namespace["memory_limit"]
    assert max(m["managed_bytes"] for m in namespace["paused_metrics"]) < 2**20
    assert namespace["tiny_on_scheduler"] in {"no-worker", "queued"}  # it waits on the scheduler, not the worker
    assert max(m["memory"] for m in namespace["paused_metrics"]) < 0.95 * namespace["memory_limit"]
    assert namespace["unmanaged_warning"].startswith(messages["breaks-paused-worker"])
    assert namespace["pause_warning"].startswith("Worker is at ")
    assert "% memory usage. Pausing worker." in namespace["pause_warning"]
    assert any("Resuming worker" in line for line in namespace["memory_lines"])
    assert set(namespace["fixed_statuses"]) == {"running"}
    assert namespace["new_pauses"] == 0
    assert namespace["held"] == 8 * (namespace["nbytes"] // 8)

    # 3. The client's MemoryError, raised while receiving the result; both fixes under the same limit.
    output = namespace["client_output"]
    assert output[0].startswith("MemoryError: " + messages["breaks-result-too-big"]), output
    assert "host_array" in output[1]
    assert namespace["result_nbytes"] == 96_000_000 <= namespace["buffer_nbytes"]  # one buffer for the whole result
    assert namespace["cluster_mentions"] == 0  # no line of the worker's or the scheduler's log mentions it
    assert output[2].startswith("fix 1, reduce: mean ")
    mean, std = (float(word.rstrip(",")) for word in output[2].split()[4::3])
    assert abs(mean - 0.5) < 1e-3 and abs(std - 12 ** -0.5) < 1e-3, output[2]
    assert output[3].endswith("read back equal: True")

    # The exercise solution.
    answer = namespace["answer"]
    assert int(np.sum(answer)) == 80_000_000 and len(answer) == 10
    assert namespace["counted"].npartitions == 32


_UNIFORM = np.full(10, 8_000_000)


def _one_big_chunk(files):
    """Right counts, but from the array of one 610 MiB chunk (on a 500 MiB worker it is killed)."""
    return {"answer": _UNIFORM.copy(), "array": da.random.default_rng(42).random(80_000_000, chunks=80_000_000)}


def _density(files):
    """density=True: the bins' densities (about 1 each), not counts."""
    return {"answer": np.full(10, 1.0), "array": da.random.default_rng(42).random(80_000_000, chunks=2_500_000)}


def _default_twenty_bins(files):
    """20 bins instead of 10."""
    return {"answer": np.full(20, 4_000_000), "array": da.random.default_rng(42).random(80_000_000, chunks=2_500_000)}


def _a_sample(files):
    """The counts of the first chunk only: a sample brought back and counted in the client."""
    counts, _ = np.histogram(np.random.default_rng(42).random(2_500_000), bins=10, range=(0, 1))
    return {"answer": counts, "array": da.random.default_rng(42).random(80_000_000, chunks=2_500_000)}


def _range_not_given(files):
    """Bins over [0, 2) rather than [0, 1): the upper half stays empty."""
    return {"answer": np.array([16_000_000] * 5 + [0] * 5),
            "array": da.random.default_rng(42).random(80_000_000, chunks=2_500_000)}


def _no_array(files):
    """Right counts, but the array is not passed."""
    return {"answer": _UNIFORM.copy()}


# -- 20.2, dtypes and meta -------------------------------------------------------------------------


def _read(files, columns):
    return pd.concat([pd.read_csv(f, usecols=columns) for f in files], ignore_index=True)


def check_dtypes_and_meta(namespace, files):
    messages = MESSAGES[DTYPES_AND_META]
    winter = list(files[:3])
    assert [str(f) for f in namespace["winter"]] == [str(f) for f in winter]

    # 1. read_csv guessed int64 from the first 10 rows; a later missing value made pandas read float64.
    assert namespace["guessed_dtypes"] == {"birth year": "int64", "end station id": "int64"}
    text = namespace["dtype_message"]
    assert text.startswith(messages["breaks-mismatched-dtypes"])
    for row in ("| birth year     | float64 | int64    |", "| end station id | float64 | int64    |"):
        assert row in text, row
    assert "dtype={'birth year': 'float64'," in text and "assume_missing=True" in text
    assert namespace["dtype_failures"] >= 1
    assert "Compute Failed" in namespace["dtype_log"] and 'Exception: ValueError("Mismatched dtypes found' in namespace["dtype_log"]
    evidence = namespace["evidence"]
    assert set(evidence["pandas dtype"]) == {"float64"}
    assert (evidence["missing values"] > 0).all() and (evidence["first missing at row"] >= 10).all()
    reference = _read(winter, ["birth year", "end station id"]).count()
    assert namespace["counts"].to_dict() == reference.to_dict()
    ints = [c for c, dtype in pd.read_csv(winter[0], nrows=10).dtypes.items() if dtype == "int64"]
    assert namespace["made_float"] == ints and "tripduration" in ints
    assert str(namespace["with_big_sample"]) == "int64"

    # 2. map_partitions: meta inferred from made-up values ('a'); only the columns are checked.
    assert namespace["inferred_columns"] == ["a"]
    assert namespace["real_columns"] == ["Customer", "Subscriber"]
    text = namespace["meta_message"]
    assert text.startswith(messages["breaks-meta-columns"])
    assert "Extra:   ['Customer', 'Subscriber']" in text and "Missing: ['a']" in text
    assert "Compute Failed" in namespace["meta_log"] and 'Exception: ValueError("The columns in the computed data' in namespace["meta_log"]
    text = namespace["subscribers_message"]
    assert text.startswith(messages["breaks-meta-columns"]) and "Missing: ['Customer']" in text
    usertypes = _read(winter, ["usertype"])["usertype"].value_counts()
    assert namespace["one_hot_sums"].to_dict() == usertypes.to_dict()
    assert (namespace["declared_dtype"], namespace["computed_dtype"]) == ("float64", "int64")

    # apply without meta warns, and says which meta to give; with meta=, no warning.
    assert namespace["apply_warning"].startswith(messages["breaks-meta-warning"])
    assert "meta=(None, 'bool')" in namespace["apply_warning"]
    assert namespace["caught"][0].category is UserWarning and len(namespace["caught_with_meta"]) == 0
    january = pd.read_csv(winter[0], usecols=["start station id", "end station id"])
    assert namespace["round_trips"] == int((january["start station id"] == january["end station id"]).sum()) > 0

    # 3. get_dummies refuses unknown categories; as_known() leaves the placeholder in on a
    # distributed client (dask 2026.8); a CategoricalDtype or categorize() makes them known.
    assert namespace["categories_message"].startswith(messages["breaks-unknown-categories"])
    assert "__UNKNOWN_CATEGORIES__" in namespace["as_known_categories"]
    # P2P (the client's default) fills an empty output partition of unique() with the meta, whose
    # categories are the placeholder; the tasks shuffle does not (dask/dask#11572).
    assert namespace["shuffle_method"] == "p2p"
    assert namespace["meta_categories"] == ["__UNKNOWN_CATEGORIES__"]
    assert namespace["trips"].npartitions > len(namespace["user_types"])
    assert namespace["tasks_known"].cat.known and sorted(namespace["tasks_categories"]) == ["Customer", "Subscriber"]
    # dtype= for two columns keeps the other integer columns whole numbers.
    assert all(str(namespace["trips"].dtypes[c]) == "int64" for c in ("tripduration", "start station id", "bikeid"))
    assert namespace["categorized_known"] is True and namespace["usertype"].cat.known
    assert namespace["dummy_sums"].to_dict() == usertypes.to_dict()

    # The exercise solution: a DataFrame that computes, and the subscribers' mean birth year.
    year = namespace["year"]
    assert isinstance(year, dd.DataFrame) and str(year.dtypes["birth year"]) == "float64"
    trips = _read(files, ["usertype", "birth year"])
    want = trips.loc[trips["usertype"] == "Subscriber", "birth year"].mean()
    assert abs(namespace["answer"] - want) < 1e-9


def _mean(files, subscribers_only=True, fill=None):
    trips = _read(files, ["usertype", "birth year"])
    if subscribers_only:
        trips = trips[trips["usertype"] == "Subscriber"]
    birth = trips["birth year"] if fill is None else trips["birth year"].fillna(fill)
    return float(birth.mean())


def _fixed(files):
    return dd.read_csv(files, dtype={"birth year": "float64", "end station id": "float64"})


def _the_guessed_dtypes(files):
    """dd.read_csv(files) as it is: the right mean (from pandas), a frame that would fail at compute."""
    return {"answer": _mean(files), "frame": dd.read_csv(files)}


def _assume_missing(files):
    """assume_missing=True: computes, but tripduration becomes float64."""
    return {"answer": _mean(files), "frame": dd.read_csv(files, assume_missing=True)}


def _every_rider(files):
    """The mean over all trips, not only the subscribers'."""
    return {"answer": _mean(files, subscribers_only=False), "frame": _fixed(files)}


def _missing_as_zero(files):
    """Missing birth years filled with 0 before the mean."""
    return {"answer": _mean(files, fill=0), "frame": _fixed(files)}


def _first_quarter_only(files):
    """The lesson's three winter files, not all twelve."""
    return {"answer": _mean(files[:3]), "frame": _fixed(files[:3])}


# -- 20.3, code on workers -------------------------------------------------------------------------


def _trip_count(path):
    with open(path) as trips:
        return sum(1 for _ in trips) - 1


def check_code_on_workers(namespace, files):
    messages = MESSAGES[CODE_ON_WORKERS]

    # 1. No guard: the script fails with the nanny's error; the worker's spawn explains why.
    assert namespace["unguarded"].returncode != 0
    assert namespace["unguarded_runs_as"] == ["__main__", "__mp_main__"]
    assert namespace["unguarded_type"] == "RuntimeError"
    assert namespace["unguarded_message"].startswith(messages["breaks-main-guard"])
    assert namespace["bootstrapping"].startswith("An attempt has been made to start a new process before the "
                                                 "current process has finished its bootstrapping phase.")
    assert namespace["nanny_log_line"] == "distributed.nanny - ERROR - Failed to start process"
    assert namespace["guarded"].returncode == 0
    assert namespace["guarded_runs_as"] == ["__main__", "__mp_main__"]
    assert namespace["guarded_sum"] == ["sum on the cluster: 3"]
    assert namespace["dask"].config.get("distributed.worker.multiprocessing-method") == "spawn"

    # 2. The worker cannot import the module: it logs the error and exits; the future stays pending.
    assert namespace["module_error_type"] == "ModuleNotFoundError"
    assert namespace["module_error_message"].startswith(messages["breaks-module-on-workers"])
    assert namespace["first_worker_exit_code"] is not None
    assert b"my_trip_tools" in namespace["pickle"].dumps(namespace["my_trip_tools"].minutes, protocol=0)
    assert namespace["stuck_status"] == "pending"
    assert namespace["workers_left"] == 0
    assert namespace["found_on_worker"] == [False]
    assert namespace["fixed_minutes"] == 11.0
    dask_pickle = namespace["dask_pickle"]
    assert b"A trip duration" not in dask_pickle.dumps(namespace["my_trip_tools"].minutes)  # by reference
    assert namespace["log_trip_count"].__module__ == "__main__"
    assert b"Count the trips" in dask_pickle.dumps(namespace["log_trip_count"])  # by value (cloudpickle)
    assert namespace["upload_on_worker"] == [{"imported": True, "from the local directory": True, "on the path": True}]
    assert any("Reason: worker-handle-scheduler-connection-broken" in line for line in namespace["worker_log"])

    # 3. A threading.Lock cannot be pickled; distributed.Lock can, and the counts are right.
    assert namespace["lock_error_type"] == "TypeError"
    assert namespace["lock_error_message"].startswith(messages["breaks-unpicklable"])
    assert namespace["lock_cause"] == "TypeError: cannot pickle '_thread.lock' object"
    assert namespace["file_error"].startswith(f"TypeError: {messages['breaks-unpicklable']}")
    assert namespace["file_cause"] == "PicklingError: Cannot pickle files that are not opened for reading: a"
    assert namespace["client_log"].lines[0].startswith("distributed.protocol.pickle - ERROR - Failed to serialize")
    counts = [_trip_count(path) for path in files[:3]]
    assert namespace["logged_counts"] == counts
    logged = sorted(namespace["trip_log_lines"])
    assert logged == sorted(f"{Path(path).name}: {n} trips" for path, n in zip(files[:3], counts))

    # 4. An embedded array above the threshold warns once per graph; scatter and data made on workers do not.
    assert [round(size / namespace["big"].nbytes, 2) for size in namespace["graph_sizes"]] == [1.0, 1.0]
    assert namespace["threshold"] == "10MB"
    assert namespace["big"].nbytes > 10e6
    assert len(namespace["graph_warnings"]) == 2
    assert namespace["graph_warning_type"] == "UserWarning"
    assert namespace["graph_warning_message"].startswith(messages["breaks-large-graph"])
    assert namespace["warnings_after_fix"] == []
    assert namespace["mean_scattered"] == np.mean(namespace["big"])
    assert math.isclose(namespace["mean_embedded"], namespace["mean_scattered"], rel_tol=1e-12)
    assert namespace["max_embedded"] == namespace["max_scattered"] == namespace["big"].max()
    assert abs(namespace["mean_made_on_workers"] - 0.5) < 0.01

    # The exercise solution, counted on the cluster.
    assert namespace["answer"] == long_trips_by_file(files)
    assert len(namespace["long_futures"]) == len(files)
    assert namespace["trip_filters"].long_trips.__module__ == "trip_filters"  # sent by reference, uploaded

    # The workers stopped with the scheduler, each saying why.
    assert namespace["worker_exit_codes"] == [0, 0]
    assert any("Reason: scheduler-close" in line for line in namespace["second_log"])


def _every_trip_counted(files):
    """minutes=0: the files' numbers of trips."""
    return {"answer": long_trips_by_file(files, minutes=0), "futures": None}


def _thirty_seconds(files):
    """The duration is in seconds: compared with 30 instead of 30 minutes."""
    return {"answer": long_trips_by_file(files, minutes=0.5), "futures": None}


def _a_list_of_counts(files):
    """The gathered counts as they came, without the file names."""
    return {"answer": list(long_trips_by_file(files).values()), "futures": None}


def _full_paths_as_keys(files):
    """Keyed by the whole path instead of the file's name."""
    counts = long_trips_by_file(files)
    return {"answer": {str(path): counts[Path(path).name] for path in files}, "futures": None}


def _counted_here(files):
    """Right counts, computed in the learner's process: no futures."""
    return {"answer": long_trips_by_file(files), "futures": None}


# -- 20.4, ports and connections -------------------------------------------------------------------


def check_ports_and_connections(namespace, files):
    messages = MESSAGES[PORTS_AND_CONNECTIONS]
    ns = namespace

    # A client to an address where nothing listens: OSError after the timeout, not before.
    assert ns["unreachable_type"] == "OSError"
    assert ns["unreachable_message"].startswith(messages["breaks-client-timeout"]), ns["unreachable_message"]
    assert 2 <= ns["waited"] < 6, ns["waited"]
    assert ns["default_connect_timeout"] == "30s"
    assert ns["configured_type"] == "OSError"
    assert ns["configured_message"] == "Timed out trying to connect to <address> after 1 s"
    assert not ns["listening"](ns["nobody_port"])
    assert ns["fixed_result"] == 45 and ns["connected_in"] < 2

    # A malformed address fails at once, before any connection is tried.
    assert ns["malformed_type"] == "ValueError"
    assert ns["malformed_message"].startswith(messages["breaks-address-without-port"])
    assert ns["threads_left"] == 0  # the half-started clients were deleted (and their loops stopped) by gc.collect()
    assert ns["malformed_waited"] < 1
    (scheme_type, scheme_message, scheme_waited), = ns["malformed"][1:]
    assert scheme_type == "ValueError" and scheme_message.startswith("unknown address scheme 'tpc'")
    assert scheme_waited < 1

    # The dashboard port in use: a warning, and the dashboard is elsewhere; free again once closed.
    assert len(ns["port_warnings"]) == 1
    assert ns["port_warnings"][0].startswith(messages["breaks-dashboard-port-in-use"]), ns["port_warnings"]
    assert ns["given_port"] != ns["asked_port"]
    assert urlsplit(ns["first"].dashboard_link).port == ns["asked_port"]
    assert not [w for w in ns["after_close"] if issubclass(w.category, UserWarning)]
    assert urlsplit(ns["third"].dashboard_link).port == ns["asked_port"]
    assert not [w for w in ns["any_port"] if issubclass(w.category, UserWarning)]

    # The scheduler port in use: the cluster does not start; the cause is the OS's bind error.
    assert ns["scheduler_port_type"] == "RuntimeError"
    assert ns["scheduler_port_message"].startswith(messages["breaks-scheduler-port-in-use"])
    assert ns["chain"][-1].startswith("OSError:") and "in use" in ns["chain"][-1], ns["chain"]
    assert ns["fixed_started"] == "running" and ns["fixed_listens"]

    # The scheduler went away: futures cancelled, the client closed after its timeout, work redone.
    assert ns["remote"].status == "closed"
    assert ns["log"].matching("Failed to reconnect to scheduler after 2.00 seconds, closing client")
    assert ns["lost_type"] == "FutureCancelledError"
    assert ns["lost_message"].startswith(messages["breaks-scheduler-connection-lost"]), ns["lost_message"]
    assert ns["closed_type"] == "ClosedClientError"
    assert ns["closed_message"] == "Client is closed. Can't send update-graph message."
    assert ns["rerun_result"] == 45

    # The exercise solution: the port the dashboard really got, read from the cluster.
    assert ns["answer"] == urlsplit(ns["exercise_cluster"].dashboard_link).port != ns["busy_port"]


@functools.cache
def _the_exercise():
    """The exercise done: a socket holds a port, a cluster asks for its dashboard there.

    The cluster is closed before returning; what the check reads of it (its dashboard's and
    scheduler's ports) stays recorded on it.
    """
    from distributed import LocalCluster

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        busy_port = busy.getsockname()[1]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")  # recorded, also where warnings are errors (pytest)
            cluster = LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                                   dashboard_address=f"127.0.0.1:{busy_port}")
        cluster.close()
    return cluster, caught, busy_port


def _the_port_asked_for(files):
    """The busy port itself: what was asked for, not what the cluster got."""
    cluster, caught, busy_port = _the_exercise()
    return {"answer": busy_port, "cluster": cluster, "caught": caught, "asked": busy_port}


def _the_dashboard_link(files):
    """The whole link (a string) instead of its port."""
    cluster, caught, busy_port = _the_exercise()
    return {"answer": cluster.dashboard_link, "cluster": cluster, "caught": caught, "asked": busy_port}


def _the_scheduler_port(files):
    """The port of the scheduler's address, not of the dashboard."""
    cluster, caught, busy_port = _the_exercise()
    port = urlsplit(cluster.scheduler_address).port
    return {"answer": port, "cluster": cluster, "caught": caught, "asked": busy_port}


def _no_warnings_recorded(files):
    """The right port, but the cluster was started outside catch_warnings: nothing recorded."""
    cluster, _, busy_port = _the_exercise()
    return {"answer": urlsplit(cluster.dashboard_link).port, "cluster": cluster, "caught": [],
            "asked": busy_port}


# -- 20.5, slow not broken -------------------------------------------------------------------------


def check_slow_not_broken(namespace, files):
    messages = MESSAGES[SLOW_NOT_BROKEN]

    # 1. The GIL: every shape gives the same estimates; two threads give pure Python no speed-up.
    # The points per chunk follow the data's scale as the page says: 400,000 at 1.0, at least 100,000.
    scale = bikes.info(Path(files[0]).parent)["scale"]
    assert namespace["scale"] == scale
    assert namespace["points_per_chunk"] == max(100_000, round(400_000 * scale))
    estimates = namespace["estimates"]
    assert len({v for k, v in estimates.items() if k.startswith("Python")}) == 1
    assert len({v for k, v in estimates.items() if k.startswith("NumPy")}) == 1
    assert all(abs(v - math.pi) < 0.01 for v in estimates.values())
    timings = namespace["gil_timings"]
    assert len(timings.timings) == 6
    # Wall time on a shared machine is noisy; the cores kept busy are not: pure Python on two
    # threads keeps about one busy (the GIL), whatever else runs on the machine.
    busy = namespace["cores_busy"]
    assert set(busy) == {f"{kind}, 1 worker × {t}" for kind in ("Python", "NumPy") for t in ("1 thread", "2 threads")}
    assert busy["Python, 1 worker × 2 threads"] < 1.3
    for sentence in ("python_threads", "python_processes", "numpy_threads"):
        assert namespace[sentence].startswith("Here ")

    # 2. The event loop: the message as this distributed writes it, for a call longer than the limit.
    limit = namespace["tick_limit"]
    assert limit == dask.utils.parse_timedelta(dask.config.get("distributed.admin.tick.limit"))
    # The limit is read once, at import: dask.config.set does not change it; the environment does.
    import distributed.core
    with dask.config.set({"distributed.admin.tick.limit": "1s"}):
        assert distributed.core.tick_maximum_delay == limit != 1
    assert float(namespace["new_python"].stdout) == 1.0
    message = namespace["unresponsive_message"]
    assert message is not None, f"no 'unresponsive' line from the Worker; logged: {namespace['gil_lines']}"
    assert message.startswith(messages["breaks-event-loop"]), message
    assert "long-running GIL-holding functions" in message
    assert namespace["gil_seconds"] > limit and namespace["gil_gap"] > limit
    assert any(" in Scheduler " in line for line in namespace["gil_lines"])  # a cluster of threads
    assert namespace["loop_lines"] == [] and namespace["loop_gap"] < limit
    assert namespace["loop_seconds"] > limit
    assert namespace["numpy_lines"] == [] and namespace["numpy_gap"] < limit
    assert namespace["numpy_total"] == namespace["total"] == namespace["n_numbers"] * (namespace["n_numbers"] - 1) // 2

    # 3. Tiny tasks: more tasks than elements; the timed graphs have the task counts the page
    # names (which ran faster is the verdict's to say: no timing is asserted here, except that a
    # delayed call per row costs far more to build than an array task); no warning; batches:
    # same total, fewer tasks.
    assert namespace["tasks_per_element"] > 2
    # compute() fuses each chunk's ones with its sum: fewer tasks run than the graph holds, still
    # more than one per element; one chunk runs its fused sum and the finalize step.
    assert namespace["tiny_graph"] == len(da.ones(100, chunks=1).sum().__dask_graph__()) > 2 * 100
    assert 100 < namespace["tiny_tasks"] < namespace["tiny_graph"]
    assert namespace["one_chunk_tasks"] == 2
    assert [t.name for t in namespace["chunk_timings"].timings] == [
        f"chunks of 1 ({namespace['tiny_tasks']:,} tasks)", f"one chunk ({namespace['one_chunk_tasks']} tasks)"]
    assert namespace["million_tasks"] == round(namespace["tiny_tasks"] / 100 * 1_000_000)
    assert namespace["per_call"] > 10 * namespace["array_per_task"]
    assert sorted(namespace["build_seconds"]) == [250, 500]
    assert namespace["caught"] == []
    assert namespace["graph_bytes"] < parse_bytes(namespace["threshold"])
    assert namespace["per_row_total"] == sum(range(1, 101))
    assert namespace["batched_total"] == sum(range(1, 101))
    assert len(namespace["per_row"].__dask_graph__()) == 101
    assert len(namespace["batched"].__dask_graph__()) == 9  # 4 batches, 4 sums of them, 1 total
    assert [t.name for t in namespace["batch_timings"].timings] == [
        "a delayed call per row", "a delayed call per 25 rows"]
    for table in (namespace["chunk_timings"], namespace["batch_timings"]):
        assert all(len(t.seconds) == 3 for t in table.timings)
    assert namespace["chunk_timings"].warmup == 0  # the task-stream runs were its warm-up

    # The exercise solution.
    assert namespace["answer"] == sum(i * i for i in range(100_000))
    assert len(namespace["exercise_plan"].__dask_graph__()) == 11


def _sum_of_squares(numbers):
    return sum(i * i for i in numbers)


def _plan(batch, stop=100_000):
    parts = [dask.delayed(_sum_of_squares)(range(i, min(i + batch, stop))) for i in range(0, stop, batch)]
    return dask.delayed(sum)(parts)


def _one_number_too_many(files):
    """range(100_001): 100,000 included."""
    plan = _plan(10_000, stop=100_001)
    return {"answer": plan.compute(scheduler="sync"), "plan": plan}


def _one_call_for_everything(files):
    """A single delayed call over all the numbers: right, but nothing to run in parallel."""
    plan = _plan(100_000)
    return {"answer": plan.compute(scheduler="sync"), "plan": plan}


def _batches_of_a_thousand(files):
    """Batches ten times too small: a hundred tasks."""
    plan = _plan(1_000)
    return {"answer": plan.compute(scheduler="sync"), "plan": plan}


def _total_without_the_plan(files):
    """The right total, the plan not passed."""
    return {"answer": sum(i * i for i in range(100_000)), "plan": None}


def _sum_of_the_numbers(files):
    """The numbers added, not their squares."""
    return {"answer": sum(range(100_000)), "plan": _plan(10_000)}


MESSAGES = {
    OUT_OF_MEMORY: {
        "breaks-killed-worker": "Attempted to run task",
        "breaks-paused-worker": "Unmanaged memory use is high. This may indicate a memory leak",
        "breaks-result-too-big": "Unable to allocate",
    },
    DTYPES_AND_META: {
        "breaks-mismatched-dtypes": "Mismatched dtypes found in `pd.read_csv`/`pd.read_table`.",
        "breaks-meta-columns": "The columns in the computed data do not match the columns in the provided metadata.",
        "breaks-meta-warning": "You did not provide metadata, so Dask is running your function on a small "
                               "dataset to guess output types.",
        "breaks-unknown-categories": "`get_dummies` with unknown categories is not supported.",
    },
    CODE_ON_WORKERS: {
        "breaks-main-guard": "Nanny failed to start.",
        "breaks-module-on-workers": "No module named 'my_trip_tools'",
        "breaks-unpicklable": "Could not serialize object of type",
        "breaks-large-graph": "Sending large graph of size",
    },
    PORTS_AND_CONNECTIONS: {
        "breaks-client-timeout": "Timed out trying to connect to <address> after 2 s",
        "breaks-address-without-port": "missing port number in address '127.0.0.1'",
        "breaks-dashboard-port-in-use": "Port <port asked for> is already in use.\nPerhaps you already have a "
                                        "cluster running?\nHosting the HTTP server on port <port given instead> instead",
        "breaks-scheduler-port-in-use": "Cluster failed to start: Scheduler failed to start.",
        "breaks-scheduler-connection-lost": "<key> cancelled for reason: scheduler-connection-lost.\n"
                                            "Client lost the connection to the scheduler.",
    },
    SLOW_NOT_BROKEN: {
        "breaks-event-loop": "Event loop was unresponsive in Worker for ",
    },
}

CHECKS = {
    OUT_OF_MEMORY: check_out_of_memory,
    DTYPES_AND_META: check_dtypes_and_meta,
    CODE_ON_WORKERS: check_code_on_workers,
    PORTS_AND_CONNECTIONS: check_ports_and_connections,
    SLOW_NOT_BROKEN: check_slow_not_broken,
}

WRONG_ANSWERS = {
    OUT_OF_MEMORY: [_one_big_chunk, _density, _default_twenty_bins, _a_sample, _range_not_given, _no_array],
    DTYPES_AND_META: [_the_guessed_dtypes, _assume_missing, _every_rider, _missing_as_zero, _first_quarter_only],
    CODE_ON_WORKERS: [_every_trip_counted, _thirty_seconds, _a_list_of_counts, _full_paths_as_keys, _counted_here],
    PORTS_AND_CONNECTIONS: [_the_port_asked_for, _the_dashboard_link, _the_scheduler_port, _no_warnings_recorded],
    SLOW_NOT_BROKEN: [_one_number_too_many, _one_call_for_everything, _batches_of_a_thousand,
                      _total_without_the_plan, _sum_of_the_numbers],
}
