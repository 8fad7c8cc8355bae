"""The synthetic Bluebikes data: schema, realism, determinism, reuse and crash safety; the public
data API (``info``, ``scaled``, ``stations``, ``expected_bytes``) and the atomic write it rests on."""

import ast
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import tutorial_helpers
from tutorial_helpers import bikes, files

SCALE = 0.005  # about 5,000 rows: a fraction of a second


@pytest.fixture
def trips(tmp_path):
    """A small generated year, read back with pandas the way a lesson would."""
    paths = bikes.generate(tmp_path, scale=SCALE)
    return pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)


def test_one_file_per_month_named_like_the_real_ones(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE, year=2020)

    assert [path.name for path in paths] == [f"2020{m:02d}-bluebikes-tripdata.csv" for m in range(1, 13)]
    assert bikes.trip_files(tmp_path) == paths


def test_same_parameters_give_the_same_bytes(tmp_path):
    first = bikes.generate(tmp_path / "a", scale=SCALE)
    second = bikes.generate(tmp_path / "b", scale=SCALE)
    other_seed = bikes.generate(tmp_path / "c", scale=SCALE, seed=7)

    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert first[0].read_bytes() != other_seed[0].read_bytes()
    first_json, second_json = bikes.json_files(tmp_path / "a"), bikes.json_files(tmp_path / "b")
    assert [p.read_bytes() for p in first_json] == [p.read_bytes() for p in second_json]
    assert first_json[0].read_bytes() != bikes.json_files(tmp_path / "c")[0].read_bytes()


def test_columns_and_types_read_back_as_in_the_real_files(trips, tmp_path):
    assert list(trips.columns) == bikes.SCHEMA
    header = bikes.trip_files(tmp_path)[0].read_text().splitlines()[0]
    assert header == ",".join(f'"{name}"' for name in bikes.SCHEMA)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{4}", trips["starttime"][0])

    start = pd.to_datetime(trips["starttime"], format="%Y-%m-%d %H:%M:%S.%f")
    stop = pd.to_datetime(trips["stoptime"], format="%Y-%m-%d %H:%M:%S.%f")
    assert start.is_monotonic_increasing  # each file sorted by start time, the files by month
    assert (start.dt.year == 2019).all()
    elapsed = (stop - start).dt.total_seconds()
    assert ((elapsed - trips["tripduration"]).between(0, 1)).all()
    numeric = [name for name in bikes.SCHEMA if name not in {"starttime", "stoptime"} and "name" not in name]
    numeric.remove("usertype")
    assert all(pd.api.types.is_numeric_dtype(trips[name]) for name in numeric)
    assert set(trips["usertype"]) == {"Subscriber", "Customer"}
    assert set(trips["gender"]) == {0, 1, 2}


def test_values_are_plausible(trips):
    assert trips["start station name"].nunique() >= 60
    assert trips["start station latitude"].between(42.33, 42.40).all()
    assert trips["start station longitude"].between(-71.14, -71.03).all()
    assert 8 * 60 <= trips["tripduration"].median() <= 16 * 60
    customer = trips["usertype"] == "Customer"
    assert 0.1 < customer.mean() < 0.3
    assert trips["tripduration"][customer].median() > trips["tripduration"][~customer].median()
    assert trips["birth year"].dropna().between(1940, 2003).all()
    busiest = trips["start station name"].value_counts()
    assert busiest.iloc[0] > 5 * busiest.median()  # popularity is skewed


def test_a_few_rows_are_dirty(trips):
    no_birth_year = trips["birth year"].isna()
    no_end_station = trips["end station id"].isna()
    bad_duration = trips["tripduration"] <= 0

    assert no_birth_year.any() and no_end_station.any() and bad_duration.any()
    assert 0.002 <= (no_birth_year | no_end_station | bad_duration).mean() <= 0.03
    assert trips.loc[no_end_station, bikes.SCHEMA[8:11]].isna().all().all()
    start = pd.to_datetime(trips["starttime"][bad_duration])
    assert (pd.to_datetime(trips["stoptime"][bad_duration]) <= start).all()


def test_summer_is_busier_and_commuters_peak(trips):
    start = pd.to_datetime(trips["starttime"])
    per_month = start.dt.month.value_counts()
    assert per_month[7] > 2 * per_month[1]

    weekday_hours = start[start.dt.day_of_week < 5].dt.hour.value_counts()
    assert weekday_hours[8] > weekday_hours[11] and weekday_hours[17] > weekday_hours[11]


def _parse(line):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def test_the_first_quarter_is_also_json_lines(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE, year=2020)

    json_paths = bikes.json_files(tmp_path)
    assert [path.name for path in json_paths] == [f"2020{m:02d}-bluebikes-tripdata.jsonl" for m in (1, 2, 3)]
    assert bikes.trip_files(tmp_path) == paths  # the CSVs alone, as before
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["generator_version"] == bikes.GENERATOR_VERSION
    assert [entry["name"] for entry in manifest["json_files"]] == [path.name for path in json_paths]
    lines = [len(path.read_text().splitlines()) for path in json_paths]
    assert [entry["rows"] for entry in manifest["json_files"]] == lines
    assert lines == [-(-entry["rows"] // 3) for entry in manifest["files"][:3]]


def test_json_lines_hold_the_same_trips_as_the_csvs(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)

    for csv_path, json_path in zip(paths, bikes.json_files(tmp_path)):
        trips = pd.read_csv(csv_path).iloc[::3]  # every third trip: the first, the fourth, ...
        lines = json_path.read_text().splitlines()
        assert len(lines) == len(trips)  # one line per trip, in the same order
        good = 0
        for line, (_, trip) in zip(lines, trips.iterrows()):
            record = _parse(line)
            if record is None or not {"tripduration", "start", "user"} <= set(record):
                continue
            if record["tripduration"] == "n/a":
                continue
            good += 1
            assert record["tripduration"] == trip["tripduration"]
            assert record["starttime"] == trip["starttime"] and record["stoptime"] == trip["stoptime"]
            assert record["start"]["name"] == trip["start station name"]
            assert record["start"]["lat"] == trip["start station latitude"]
            assert record["user"]["type"] == trip["usertype"]
            assert record["bikeid"] == trip["bikeid"] and record["user"]["gender"] == trip["gender"]
            if pd.isna(trip["end station id"]):
                assert record["end"] is None
            else:
                assert record["end"]["id"] == trip["end station id"]
                assert record["end"]["name"] == trip["end station name"]
            birth_year = None if pd.isna(trip["birth year"]) else trip["birth year"]
            assert record["user"]["birth_year"] == birth_year
        assert good >= 0.98 * len(lines) - 3  # at least one broken line of each kind


def test_a_few_json_lines_are_broken_on_purpose(tmp_path):
    bikes.generate(tmp_path, scale=0.1)  # about 5,000 lines: shares are close to the targets
    lines = [line for path in bikes.json_files(tmp_path) for line in path.read_text().splitlines()]
    records = [_parse(line) for line in lines]

    not_json = sum(record is None for record in records)
    records = [record for record in records if record is not None]
    wrong_type = sum(record.get("tripduration") == "n/a" for record in records)
    missing = {key: sum(key not in record for record in records) for key in ("tripduration", "start", "user")}
    assert not_json and wrong_type and all(missing.values())
    assert 0.005 <= (not_json + wrong_type + sum(missing.values())) / len(lines) <= 0.01
    # Apart from those, every record has every field, with the CSVs' types.
    good = [r for r in records if isinstance(r.get("tripduration"), int) and {"start", "user"} <= set(r)]
    assert all(isinstance(r["start"]["name"], str) and isinstance(r["start"]["lat"], float) for r in good)
    assert all(r["end"] is None or isinstance(r["end"]["id"], int) for r in good)
    assert any(r["end"] is None for r in good) and any(r["user"]["birth_year"] is None for r in good)


def test_json_files_of_old_or_downloaded_data_name_the_fix(tmp_path):
    bikes.generate(tmp_path, scale=SCALE)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    old = {key: value for key, value in manifest.items() if key != "json_files"} | {"generator_version": 1}
    (tmp_path / "manifest.json").write_text(json.dumps(old))

    with pytest.raises(bikes.DataError, match=r"predates the JSON-lines files: run `.*data generate --scale"):
        bikes.json_files(tmp_path)
    bikes.generate(tmp_path, scale=SCALE)  # a new generator version regenerates
    assert len(bikes.json_files(tmp_path)) == 3

    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "bluebikes", "files": []}))
    with pytest.raises(bikes.DataError, match="no JSON-lines version") as error:
        bikes.json_files(tmp_path)
    assert "\n" not in str(error.value)


def test_a_second_call_reuses_the_files(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)
    written = [path.stat().st_mtime_ns for path in paths]

    started = time.perf_counter()
    again = bikes.generate(tmp_path, scale=SCALE)

    assert time.perf_counter() - started < 0.5
    assert again == paths
    assert [path.stat().st_mtime_ns for path in paths] == written


def test_other_parameters_regenerate(tmp_path):
    bikes.generate(tmp_path, scale=SCALE, seed=1)
    before = json.loads((tmp_path / "manifest.json").read_text())

    paths = bikes.generate(tmp_path, scale=SCALE, seed=2)
    json_paths = bikes.json_files(tmp_path)
    after = json.loads((tmp_path / "manifest.json").read_text())

    assert after["seed"] == 2 and before["files"] != after["files"]
    assert before["json_files"] != after["json_files"]
    bikes.verify(tmp_path)
    assert bikes.generate(tmp_path, scale=SCALE, year=2018)[0].name.startswith("2018")
    assert not any(path.exists() for path in paths + json_paths)  # the 2019 files are gone
    assert bikes.json_files(tmp_path)[0].name.startswith("2018")


def test_a_missing_or_resized_file_is_regenerated(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)
    expected = paths[4].read_bytes()
    paths[4].write_bytes(expected[:100])

    bikes.generate(tmp_path, scale=SCALE)

    assert paths[4].read_bytes() == expected


def test_a_missing_json_file_is_a_data_error_and_regenerated(tmp_path):
    bikes.generate(tmp_path, scale=SCALE)
    json_path = bikes.json_files(tmp_path)[1]
    expected = json_path.read_bytes()
    json_path.unlink()

    with pytest.raises(bikes.DataError, match=f"{json_path.name} is missing"):
        bikes.json_files(tmp_path)
    with pytest.raises(bikes.DataError):  # the folder is incomplete, whichever files one asks for
        bikes.trip_files(tmp_path)
    bikes.generate(tmp_path, scale=SCALE)

    assert json_path.read_bytes() == expected


def test_a_crash_keeps_the_previous_data(tmp_path, monkeypatch):
    bikes.generate(tmp_path, scale=SCALE)
    manifest = (tmp_path / "manifest.json").read_bytes()
    files = {path: path.read_bytes() for path in bikes.trip_files(tmp_path)}
    write, calls = bikes.synthetic._to_csv_bytes, []

    def crash_on_the_third_month(frame):
        calls.append(frame)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return write(frame)

    monkeypatch.setattr(bikes.synthetic, "_to_csv_bytes", crash_on_the_third_month)
    with pytest.raises(KeyboardInterrupt):
        bikes.generate(tmp_path, scale=SCALE, seed=99)

    assert (tmp_path / "manifest.json").read_bytes() == manifest
    assert {path: path.read_bytes() for path in bikes.trip_files(tmp_path)} == files
    bikes.verify(tmp_path)
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_a_crash_while_writing_json_keeps_the_previous_data(tmp_path, monkeypatch):
    bikes.generate(tmp_path, scale=SCALE)
    manifest = (tmp_path / "manifest.json").read_bytes()
    files = {path: path.read_bytes() for path in bikes.trip_files(tmp_path) + bikes.json_files(tmp_path)}
    write = bikes.synthetic._to_json_lines_bytes

    def crash_on_march(frame, year, month, seed):
        if month == 3:
            raise KeyboardInterrupt
        return write(frame, year, month, seed)

    monkeypatch.setattr(bikes.synthetic, "_to_json_lines_bytes", crash_on_march)
    with pytest.raises(KeyboardInterrupt):
        bikes.generate(tmp_path, scale=SCALE, seed=99)

    assert (tmp_path / "manifest.json").read_bytes() == manifest
    assert {path: path.read_bytes() for path in bikes.trip_files(tmp_path) + bikes.json_files(tmp_path)} == files
    bikes.verify(tmp_path)
    assert not list(tmp_path.glob(".*.tmp"))


def test_leftovers_of_a_killed_run_are_removed(tmp_path):
    leftover = tmp_path / ".201901-bluebikes-tripdata.csv.x1y2.tmp"
    leftover.write_text("half a file")
    json_leftover = tmp_path / ".201901-bluebikes-tripdata.jsonl.x1y2.tmp"
    json_leftover.write_text('{"tripdur')

    bikes.generate(tmp_path, scale=SCALE)

    assert not leftover.exists() and not json_leftover.exists()


def test_missing_data_names_the_command(tmp_path):
    with pytest.raises(bikes.DataError) as error:
        bikes.trip_files(tmp_path / "nowhere", generate_if_missing=False)

    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / "nowhere") in message
    assert "python -m tutorial_helpers data generate" in message


def test_a_truncated_file_names_itself_and_the_command(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)
    with open(paths[2], "r+b") as stream:
        stream.truncate(12)

    with pytest.raises(bikes.DataError) as error:
        bikes.trip_files(tmp_path)

    message = str(error.value)
    assert "\n" not in message
    assert f"{paths[2].name} has 12 bytes" in message
    assert f"data generate --scale {SCALE} --data-dir {tmp_path}" in message


def test_verify_catches_a_flipped_byte(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)
    bikes.verify(tmp_path)
    data = bytearray(paths[5].read_bytes())
    data[len(data) // 2] ^= 1
    paths[5].write_bytes(bytes(data))

    assert bikes.trip_files(tmp_path) == paths  # same size: the cheap check cannot tell
    with pytest.raises(bikes.DataError, match=paths[5].name):
        bikes.verify(tmp_path)


def test_verify_checks_the_json_files_too(tmp_path):
    bikes.generate(tmp_path, scale=SCALE)
    json_path = bikes.json_files(tmp_path)[0]
    data = bytearray(json_path.read_bytes())
    data[len(data) // 3] ^= 1
    json_path.write_bytes(bytes(data))

    with pytest.raises(bikes.DataError, match=json_path.name):
        bikes.verify(tmp_path)


def test_an_unreadable_manifest_is_a_data_error(tmp_path):
    bikes.generate(tmp_path, scale=SCALE)
    (tmp_path / "manifest.json").write_text("{not json")

    with pytest.raises(bikes.DataError, match="unreadable manifest.json"):
        bikes.trip_files(tmp_path)
    bikes.generate(tmp_path, scale=SCALE)  # and generating again repairs it
    bikes.verify(tmp_path)


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path / "course"))
    assert bikes.data_dir() == tmp_path / "course"

    monkeypatch.delenv("DASK_COURSE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert bikes.data_dir() == tmp_path / "cache" / "dask-course" / "bluebikes"


def test_the_default_folder_is_used_and_named_without_options(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path))
    with pytest.raises(bikes.DataError, match=r"run `python -m tutorial_helpers data generate`$"):
        bikes.trip_files(generate_if_missing=False)

    assert bikes.generate(scale=SCALE)[0].parent == tmp_path


@pytest.mark.parametrize("options", [{"scale": 0}, {"scale": float("nan")}, {"year": 1800}, {"seed": -1}])
def test_bad_parameters_are_refused(tmp_path, options):
    with pytest.raises(ValueError):
        bikes.generate(tmp_path, **options)
    assert not any(tmp_path.iterdir())


_FIRST_USE = "from tutorial_helpers import bikes; print(len(bikes.trip_files()), len(bikes.json_files()))"


@pytest.mark.slow
def test_data_is_made_on_first_use_once_even_by_two_processes_at_once(tmp_path):
    """Two notebooks opened together: both get the data, it is written once and verifies."""
    env = dict(os.environ, DASK_COURSE_DATA=str(tmp_path / "course"))
    starts = [
        subprocess.Popen([sys.executable, "-c", _FIRST_USE], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [(process.wait(timeout=300), *process.communicate()) for process in starts]

    assert [(code, out) for code, out, _ in results] == [(0, "12 3\n"), (0, "12 3\n")]
    announcements = [line for _, _, err in results for line in err.splitlines() if line.startswith("Writing")]
    assert len(announcements) == 1, results
    assert str(tmp_path / "course") in announcements[0] and " MB)" in announcements[0]
    bikes.verify(tmp_path / "course")
    assert not list((tmp_path / "course").glob(".*.tmp"))


def test_a_partial_folder_is_not_overwritten_on_use(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE)
    paths[0].unlink()

    with pytest.raises(bikes.DataError, match=f"{paths[0].name} is missing\\): run `"):
        bikes.trip_files(tmp_path)
    assert not paths[0].exists()


# -- the public data API -------------------------------------------------------------------------------


def test_info_describes_the_folder_from_its_manifest(tmp_path):
    paths = bikes.generate(tmp_path, scale=SCALE, year=2020, seed=7)
    json_paths = bikes.json_files(tmp_path)

    held = bikes.info(tmp_path)

    assert {key: held[key] for key in ("folder", "kind", "scale", "year", "seed", "generator_version")} == {
        "folder": tmp_path, "kind": "synthetic", "scale": SCALE, "year": 2020, "seed": 7,
        "generator_version": bikes.GENERATOR_VERSION}
    assert held["trips"] == sum(len(pd.read_csv(path)) for path in paths)
    assert (held["trip_files"], held["trip_bytes"]) == (12, sum(path.stat().st_size for path in paths))
    assert held["json_lines"] == sum(len(path.read_text().splitlines()) for path in json_paths)
    assert (held["json_files"], held["json_bytes"]) == (3, sum(path.stat().st_size for path in json_paths))
    assert [entry["name"] for entry in held["trip_entries"]] == [path.name for path in paths]
    assert [entry["bytes"] for entry in held["json_entries"]] == [path.stat().st_size for path in json_paths]
    assert sum(entry["rows"] for entry in held["trip_entries"]) == held["trips"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert held["trip_entries"] == [{key: entry[key] for key in ("name", "rows", "bytes", "sha256")}
                                    for entry in manifest["files"]]
    with pytest.raises(bikes.DataError, match="data generate"):
        bikes.info(tmp_path / "nowhere")


def test_expected_bytes_is_close_to_what_generate_writes(tmp_path):
    bikes.generate(tmp_path, scale=SCALE)
    held = bikes.info(tmp_path)

    written = held["trip_bytes"] + held["json_bytes"]
    assert abs(bikes.expected_bytes(SCALE) - written) <= 0.05 * written
    assert bikes.expected_bytes(2 * SCALE) == pytest.approx(2 * bikes.expected_bytes(SCALE), rel=0.01)


def test_scaled_is_one_copy_beside_the_course_data_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path / "trips"))

    folder = bikes.scaled(SCALE)
    written = {path: path.stat().st_mtime_ns for path in bikes.trip_files(folder)}

    assert folder == tmp_path / f"trips-scale-{SCALE:g}"
    assert bikes.info(folder)["scale"] == SCALE
    assert not (tmp_path / "trips").exists()  # the course data itself is not made
    assert bikes.scaled(SCALE) == folder
    assert {path: path.stat().st_mtime_ns for path in bikes.trip_files(folder)} == written


def test_stations_hold_every_station_of_the_trips(trips):
    table = bikes.stations()

    assert list(table.columns) == ["id", "name", "latitude", "longitude"]
    assert table["id"].is_unique and table["name"].is_unique
    assert set(trips["start station id"]) <= set(table["id"])
    assert set(trips["end station id"].dropna()) <= set(table["id"])
    first = trips.iloc[0]
    row = table.set_index("id").loc[first["start station id"]]
    assert (row["name"], row["latitude"]) == (first["start station name"], first["start station latitude"])


def test_no_module_uses_another_modules_private_names():
    """What one module of the course package needs from another is public there (issue 26)."""
    package = Path(tutorial_helpers.__file__).parent
    reached = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules = set()  # the names this file binds to the package's modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tutorial_helpers"):
                reached += [f"{path.name}: {alias.name}" for alias in node.names if alias.name.startswith("_")]
                modules |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                modules |= {alias.asname or alias.name for alias in node.names
                            if alias.name.startswith("tutorial_helpers")}
        reached += [f"{path.name}: {node.value.id}.{node.attr}" for node in ast.walk(tree)
                    if isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in modules]
    assert reached == []


# -- the atomic write (tutorial_helpers.files) ---------------------------------------------------------


def test_an_atomic_write_is_on_the_disk_before_it_takes_the_name(tmp_path, monkeypatch):
    target = tmp_path / "notes.json"
    target.write_text("old")
    calls = []
    fsync, replace = os.fsync, os.replace

    def recorded_fsync(fd):
        calls.append("fsync")
        fsync(fd)

    def recorded_replace(source, destination):
        calls.append(("replace", Path(destination)))
        replace(source, destination)

    monkeypatch.setattr(os, "fsync", recorded_fsync)
    monkeypatch.setattr(os, "replace", recorded_replace)
    files.write_atomic(target, "new ✓")

    assert target.read_text(encoding="utf-8") == "new ✓"
    assert calls == ["fsync", ("replace", target)]
    assert [path.name for path in tmp_path.iterdir()] == ["notes.json"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "lessons.zip"
    target.write_bytes(b"old")

    with pytest.raises(KeyboardInterrupt):
        with files.atomic_write(target) as stream:
            stream.write(b"half of the new")
            raise KeyboardInterrupt

    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["lessons.zip"]


def test_an_atomic_write_that_must_not_replace_keeps_what_is_there(tmp_path):
    target = tmp_path / "notebook.ipynb"

    files.write_atomic(target, b"first", replace=False)
    with pytest.raises(FileExistsError):
        files.write_atomic(target, b"second", replace=False)

    assert target.read_bytes() == b"first"
    assert [path.name for path in tmp_path.iterdir()] == ["notebook.ipynb"]
    files.copy_atomic(target, tmp_path / "copy.ipynb")
    assert (tmp_path / "copy.ipynb").read_bytes() == b"first"


def test_leftovers_of_killed_writers_are_removed_and_nothing_else(tmp_path):
    with files.temporary(tmp_path / "201901-bluebikes-tripdata.csv") as tmp:
        os.link(tmp, tmp_path / ".201901-bluebikes-tripdata.csv.killed.tmp")  # as a killed writer leaves it
    (tmp_path / "kept.tmp").write_text("not hidden: not a temporary file of ours")
    (tmp_path / ".lock").write_text("")

    files.remove_leftovers(tmp_path)

    assert sorted(path.name for path in tmp_path.iterdir()) == [".lock", "kept.tmp"]
