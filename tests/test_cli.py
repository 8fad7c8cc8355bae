"""The command line, run the way a learner runs it: ``python -m tutorial_helpers data ...``."""

import os
import subprocess
import sys
from pathlib import Path

import tutorial_helpers
from tutorial_helpers.__main__ import main

SRC = Path(tutorial_helpers.__file__).parents[1]


def run(*args, data=None):
    """Run the command line in a fresh interpreter; its data folder defaults to ``data``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    if data is not None:
        env["DASK_COURSE_DATA"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "tutorial_helpers", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_generate_then_info(tmp_path):
    generated = run("data", "generate", "--scale", "0.002", "--data-dir", tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert "201912-bluebikes-tripdata.csv" in generated.stderr  # progress, one line per month
    assert str(tmp_path) in generated.stdout and "12 monthly CSVs" in generated.stdout

    info = run("data", "info", "--data-dir", tmp_path)
    assert info.returncode == 0, info.stderr
    assert "scale 0.002, year 2019, seed 2011" in info.stdout
    assert "201907-bluebikes-tripdata.csv" in info.stdout
    assert "3 JSON-lines files" in info.stdout and "201903-bluebikes-tripdata.jsonl" in info.stdout

    verified = run("data", "verify", data=tmp_path)  # the folder from $DASK_COURSE_DATA
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("15 files")  # 12 CSVs and 3 JSON-lines files


def test_info_without_data_is_one_line(tmp_path):
    info = run("data", "info", data=tmp_path)

    assert info.returncode == 1
    assert info.stderr.count("\n") == 1 and "Traceback" not in info.stderr
    assert "python -m tutorial_helpers data generate" in info.stderr


def test_an_unknown_option_is_a_short_message(tmp_path):
    result = run("data", "generate", "--sacle", "2", data=tmp_path)

    assert result.returncode != 0
    assert "--sacle" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 3


def test_a_bad_value_is_one_line(tmp_path, capsys):
    assert main(["data", "generate", "--scale", "-1", "--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "error: scale must be a positive number, got -1.0\n"

    assert main(["data", "download", "--months", "2019-07", "--data-dir", str(tmp_path)]) == 1
    assert "YYYYMM" in capsys.readouterr().err


def test_verify_reports_corruption(tmp_path, capsys):
    assert main(["data", "generate", "--scale", "0.002", "--data-dir", str(tmp_path)]) == 0
    month = tmp_path / "201903-bluebikes-tripdata.csv"
    data = bytearray(month.read_bytes())
    data[-10] ^= 1
    month.write_bytes(bytes(data))
    capsys.readouterr()

    assert main(["data", "verify", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and month.name in err
