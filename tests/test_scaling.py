"""The scaling study: `make scale`'s harness runs every installed engine on CSV and Parquet, stops when two
engines disagree, writes its Parquet copy atomically and a well-formed results file; the page renders from one.

A benchmark, not a test: nothing here looks at how long anything took.
"""

import importlib.util
import json
import shutil
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "benchmarks" / "scaling.py"
PAGE = ROOT / "examples" / "19_bigger_than_memory" / "plot_02_scaling_study.py"
FIXTURE = Path(__file__).parent / "fixtures" / "scaling-fixture.json"


def _harness():
    spec = importlib.util.spec_from_file_location("scaling", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_worker_counts_double_up_to_the_cores_capped_at_8():
    counts = _harness().worker_counts
    assert counts(1) == [1]
    assert counts(2) == [1, 2]
    assert counts(6) == [1, 2, 4, 6]
    assert counts(64) == [1, 2, 4, 8]


def _installed(engine):
    return _harness().available(engine) is None


@pytest.mark.slow
def test_harness_runs_every_installed_engine_on_both_formats_and_they_agree(tmp_path, monkeypatch):
    from tutorial_helpers import bikes

    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path / "bluebikes"))  # scaled copies beside it
    output = tmp_path / "scaling-tiny.json"
    harness = _harness()
    harness.main(["--scales", "0.02", "--runs", "1", "--strong-scale", "0.02", "--machine", "tiny",
                  "--notes", "a test", "--output", str(output)])
    results = json.loads(output.read_text())
    assert results["machine"]["name"] == "tiny"
    assert {"cores", "granted_cores", "memory_gib", "system", "python"} <= set(results["machine"])
    assert {"dask", "distributed", "pandas", "numpy", "pyarrow"} <= set(results["versions"])
    assert results["date"] and results["notes"] == "a test" and results["runs_per_point"] == 1
    assert results["timed"] and results["analysis"] and results["checked"]
    installed = [engine for engine in harness.ENGINES if _installed(engine)]
    assert {"pandas", "pandas-1-thread", "dask-threads", "dask-cluster"} <= set(installed)
    assert set(results["engines"]) == set(harness.ENGINES)  # skipped ones are described too
    assert "mode.max_threads" in results["engines"]["pandas-1-thread"]
    assert set(results["skipped"]) == set(harness.ENGINES) - set(installed)
    assert all(why.startswith("not installed: ") for why in results["skipped"].values())
    assert [(p["scale"], p["format"], p["engine"]) for p in results["weak"]] == [
        (0.02, fmt, engine) for fmt in ("csv", "parquet") for engine in installed]
    for point in results["weak"]:
        assert "errors" not in point, point
        assert point["rows"] > 0 and point["csv_bytes"] > 0 and point["bytes"] > 0 and len(point["seconds"]) == 1
        assert point["median_seconds"] > 0 and point["median_peak_memory_bytes"] > 0
    # Every engine found every station: the run compared the tables and did not stop.
    assert {p["stations"] for p in results["weak"]} == {len(bikes.stations())}
    assert [p["workers"] for p in results["strong"]] == harness.worker_counts(results["machine"]["granted_cores"])
    assert all(p["median_seconds"] > 0 and p["format"] == "csv" for p in results["strong"])


@pytest.mark.slow
def test_an_engine_with_a_different_result_stops_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path / "bluebikes"))
    harness = _harness()
    real = harness.measure

    def measure(engine, folder, workers, guard, fmt="csv", result_file=None):
        run = real(engine, folder, workers, guard, fmt, result_file)
        if engine == "duckdb":  # one median a little off, as a wrong engine would give
            table = pd.read_parquet(result_file)
            table.loc[3, "median"] *= 1 + 1e-6
            table.to_parquet(result_file)
        return run

    monkeypatch.setattr(harness, "measure", measure)
    output = tmp_path / "scaling-wrong.json"
    with pytest.raises(SystemExit) as stopped:
        harness.main(["--scales", "0.02", "--runs", "1", "--strong-scale", "0", "--formats", "csv",
                      "--engines", "pandas", "duckdb", "--output", str(output)])
    message = str(stopped.value.code)
    assert message.startswith("scaling.py: results differ at scale 0.02: duckdb (csv) against pandas (csv), "
                              "station "), message
    assert "\n" not in message and "median" in message
    assert [p["engine"] for p in json.loads(output.read_text())["weak"]] == ["pandas"]


@pytest.mark.slow
def test_append_adds_a_larger_scale_to_an_existing_results_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(tmp_path / "bluebikes"))
    output, harness = tmp_path / "scaling-append.json", _harness()
    common = ["--runs", "1", "--strong-scale", "0", "--formats", "parquet", "--engines", "pandas", "duckdb",
              "--output", str(output)]
    harness.main(["--scales", "0.01", "--notes", "first.", *common])
    first = json.loads(output.read_text())
    harness.main(["--scales", "0.02", "--append", "--notes", "then 0.02.", *common])
    results = json.loads(output.read_text())
    assert [(p["scale"], p["engine"]) for p in results["weak"]] == [
        (0.01, "pandas"), (0.01, "duckdb"), (0.02, "pandas"), (0.02, "duckdb")]
    assert results["weak"][:2] == first["weak"] and results["date"] == first["date"]
    assert results["notes"] == "first. then 0.02."
    assert [a["scales"] for a in results["appended"]] == [[0.02]]
    assert results["appended"][0]["duration_seconds"] >= 0 and "duration_seconds" in results


def test_first_difference_names_the_first_station_that_differs():
    first_difference = _harness().first_difference
    table = pd.DataFrame({"name": ["A", "B", "C"], "count": [3, 2, 1], "mean": [1.5, 2.0, 3.0],
                          "median": [1.0, 2.0, 3.0]})
    assert first_difference(table, table.copy()) is None
    rounding = table.assign(mean=table["mean"] * (1 + 1e-12))
    assert first_difference(table, rounding) is None  # summation order: within 1e-9
    off = table.copy()
    off.loc[1, "median"] = 2.0 * (1 + 1e-8)
    assert first_difference(table, off).startswith("station 'B'")
    counted = table.assign(count=[3, 2, 2])
    assert first_difference(table, counted).startswith("station 'C'")
    assert "station 'B' vs 'D'" in first_difference(table, table.assign(name=["A", "D", "C"]))
    assert first_difference(table, table.iloc[:2]) == "3 stations vs 2"


def test_the_parquet_copy_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from tutorial_helpers import bikes

    harness = _harness()
    folder = tmp_path / "bluebikes-scale-0.002"
    files = bikes.generate(folder, scale=0.002)
    real, written = pq.write_table, []

    def fails_at_the_fourth_file(table, where, **options):
        if len(written) == 3:
            raise OSError("no space left on device (a test)")
        written.append(where)
        real(table, where, **options)

    monkeypatch.setattr(pq, "write_table", fails_at_the_fourth_file)
    with pytest.raises(OSError, match="a test"):
        harness.prepare(folder)
    assert len(written) == 3
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no copy, no temporary folder left
    monkeypatch.setattr(pq, "write_table", real)
    target = harness.prepare(folder)
    assert target == tmp_path / "bluebikes-scale-0.002-parquet"
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [path.with_suffix(".parquet").name for path in files] + ["source.json", "stations.parquet"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([folder.name, target.name])
    # The station table sits in the CSV copy too, outside its manifest.
    assert pd.read_csv(folder / "stations.csv").equals(bikes.stations())
    assert "stations.csv" not in (folder / "manifest.json").read_text()
    for path in files:  # the same trips
        csv, parquet = pd.read_csv(path), pd.read_parquet(target / path.with_suffix(".parquet").name)
        assert len(csv) == len(parquet) and csv["tripduration"].sum() == parquet["tripduration"].sum()
    made = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    assert harness.prepare(folder) == target  # made once: the second call writes nothing
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == made


def test_a_run_past_the_memory_guard_is_stopped_and_recorded_as_out_of_memory(small_data):
    harness = _harness()
    run = harness.measure("pandas", small_data, 1, memory_guard=1e-6)
    assert run["error"].startswith("out of memory: stopped at"), run
    assert run["peak_memory_bytes"] > 0


def results_sections(page: Path) -> str:
    """The page's code cells that read and plot the results files: those before its live
    measurement ("This machine, now", the first cell that imports Dask). The whole lesson runs in the
    strict build and the learner's notebook; here only the part a results file changes."""
    _, blocks = split_code_and_text_blocks(str(page))
    cells = [block.content for block in blocks if block.type == "code"]
    live = next(i for i, cell in enumerate(cells) if cell.startswith("import dask\n"))
    return "\n".join(cells[:live])


def test_the_page_renders_from_a_results_file(tmp_path, monkeypatch):
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    shutil.copy(FIXTURE, results / FIXTURE.name)
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    namespace = {"__name__": "__main__"}
    exec(compile(results_sections(PAGE), str(PAGE), "exec"), namespace)
    assert [r["machine"]["name"] for r in namespace["results"]] == ["2core-fixture"]
    assert len(plt.get_fignums()) == 2  # time and memory side by side, then strong scaling
    time_ax, memory_ax = plt.figure(plt.get_fignums()[0]).axes
    assert "ran out of memory" in [line.get_label() for line in memory_ax.get_lines()]
    findings = namespace["findings"](namespace["results"][0])
    assert any("was faster than pandas at 1, 4 M trips" in line for line in findings)
    assert any("pandas failed from" in line for line in findings)
    plt.close("all")
