"""The batch script of examples/09_distributed runs as a batch job would, answers right, and cleans up."""

import os
import re
import shutil
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest
from distributed import Client, LocalCluster

from conftest import ROOT, lesson_env
from reference import answers
from tutorial_helpers import bikes

SCRIPT = ROOT / "examples" / "09_distributed" / "bikes_batch.py"


def run_and_watch(command, **kwargs):
    """Run ``command``; return its result and every process it started along the way."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    family = {}
    while process.poll() is None:
        try:
            for child in psutil.Process(process.pid).children(recursive=True):
                family[child.pid] = child
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.05)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr, list(family.values())


def printed_series(stdout: str, heading: str) -> dict[str, str]:
    """The rows of one ``Series.to_string()`` the script printed under ``heading``."""
    block = stdout.split(heading + "\n", 1)[1].split("\n\n", 1)[0]
    _index_name, *rows = block.splitlines()
    return dict(row.rsplit(maxsplit=1) for row in rows)


@pytest.mark.slow
def test_batch_script_answers_like_pandas_and_leaves_no_process(small_data, tmp_path):
    returncode, stdout, stderr, started = run_and_watch(
        [sys.executable, str(SCRIPT), "--workers", "2", "--threads", "1"],
        cwd=tmp_path, env=lesson_env(small_data),
    )
    assert returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr

    want = answers(bikes.trip_files(small_data))
    top = printed_series(stdout, "Busiest start stations:")
    assert len(top) == 10
    assert {name: int(count) for name, count in top.items()} == {
        name: want["trips_per_station"][name] for name in top
    }
    assert min(int(c) for c in top.values()) >= want["trips_per_station"].nlargest(10).min()
    minutes = printed_series(stdout, "Mean trip duration (minutes) by user type:")
    assert minutes.keys() == set(want["minutes_by_usertype"].index)
    for usertype, value in minutes.items():
        assert abs(float(value) - want["minutes_by_usertype"][usertype]) <= 0.005 + 1e-9
    hours = printed_series(stdout, "Trips by starting hour:")
    pd.testing.assert_series_equal(
        pd.Series({int(h): int(n) for h, n in hours.items()}).sort_index(),
        want["trips_per_hour"].sort_index(), check_names=False, check_dtype=False, check_index_type=False,
    )
    assert re.search(r"12 monthly files on 2 worker\(s\) × 1 thread\(s\): analysis took \d+\.\d\d s", stdout)

    assert started, "the script started no worker processes"
    deadline = time.monotonic() + 10
    while any(p.is_running() for p in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p.pid for p in started if p.is_running()]
    assert not left, f"processes left behind: {left}"


def test_batch_script_help_names_its_options(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--workers", "--threads", "--memory-limit", "--months"):
        assert option in result.stdout


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="hiding the data from one worker needs root (unshare -m and mount)")
@pytest.mark.slow
def test_workers_that_cannot_see_the_data_are_named_in_one_line(small_data):
    """``bikes.check_workers_see_data``, which both job scripts call before any work."""
    files = bikes.trip_files(small_data)
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
            Client(cluster) as client:
        assert bikes.check_workers_see_data(client, files) is None  # this machine's worker sees them
        (seeing,) = client.scheduler_info()["workers"]
        # A worker on a "node" without the shared filesystem: the data folder is an empty tmpfs in
        # its own mount namespace.
        worker = (f"mount -t tmpfs none {small_data} && exec {sys.executable} -m distributed.cli.dask_worker "
                  f"{cluster.scheduler_address} --host 127.0.0.1 --dashboard-address 127.0.0.1:0 --nthreads 1 "
                  "--no-nanny")
        blind = subprocess.Popen(["unshare", "-m", "sh", "-c", worker], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, env=lesson_env(small_data))
        try:
            client.wait_for_workers(2, timeout=120)
            with pytest.raises(FileNotFoundError) as error:
                bikes.check_workers_see_data(client, files)
        finally:
            blind.terminate()
            blind.wait(timeout=30)
    message = str(error.value)
    assert "\n" not in message
    (hidden,) = re.findall(r"tcp://127\.0\.0\.1:\d+", message)
    assert hidden != seeing and seeing not in message
    assert message.startswith("1 of 2 workers cannot read the course data")
    assert message.endswith("DASK_COURSE_DATA must name a folder on a filesystem that all nodes share")
    assert str(files[0]) in message
