"""The scaling study: `make scale`'s harness writes a well-formed results file, and the page renders from one.

A benchmark, not a test: nothing here looks at how long anything took.
"""

import importlib.util
import json
import runpy
import shutil
import sys
from pathlib import Path

import matplotlib
import pytest

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


@pytest.mark.slow
def test_harness_writes_a_well_formed_results_file_at_a_tiny_scale(tmp_path):
    output = tmp_path / "scaling-tiny.json"
    _harness().main(["--scales", "0.005", "--runs", "1", "--strong-scale", "0.005",
                     "--data-root", str(tmp_path / "data"), "--machine", "tiny", "--notes", "a test",
                     "--output", str(output)])
    results = json.loads(output.read_text())
    assert results["machine"]["name"] == "tiny"
    assert {"cores", "granted_cores", "memory_gib", "system", "python"} <= set(results["machine"])
    assert set(results["versions"]) == {"dask", "distributed", "pandas", "numpy", "pyarrow"}
    assert results["date"] and results["notes"] == "a test" and results["runs_per_point"] == 1
    assert [(p["scale"], p["engine"]) for p in results["weak"]] == [
        (0.005, engine) for engine in ("pandas", "dask-threads", "dask-cluster")]
    for point in results["weak"]:
        assert "errors" not in point, point
        assert point["rows"] > 0 and point["csv_bytes"] > 0 and len(point["seconds"]) == 1
        assert point["median_seconds"] > 0 and point["median_peak_memory_bytes"] > 0
    assert [p["workers"] for p in results["strong"]] == _harness().worker_counts(results["machine"]["granted_cores"])
    assert all(p["median_seconds"] > 0 for p in results["strong"])


def test_a_run_past_the_memory_guard_is_stopped_and_recorded_as_out_of_memory(small_data):
    harness = _harness()
    run = harness.measure("pandas", small_data, 1, memory_guard=1e-6)
    assert run["error"].startswith("out of memory: stopped at"), run
    assert run["peak_memory_bytes"] > 0


@pytest.mark.slow
def test_the_page_renders_from_a_results_file(tmp_path, monkeypatch, small_data):
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    shutil.copy(FIXTURE, results / FIXTURE.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DASK_COURSE_DATA", str(small_data))
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    namespace = runpy.run_path(str(PAGE), run_name="__main__")
    assert [r["machine"]["name"] for r in namespace["results"]] == ["2core-fixture"]
    assert len(plt.get_fignums()) == 2  # time and memory side by side, then strong scaling
    time_ax, memory_ax = plt.figure(plt.get_fignums()[0]).axes
    assert "ran out of memory" in [line.get_label() for line in memory_ax.get_lines()]
    findings = namespace["findings"](namespace["results"][0])
    assert any("was faster than pandas at 1, 4 M trips" in line for line in findings)
    assert any("pandas failed from" in line for line in findings)
    plt.close("all")
