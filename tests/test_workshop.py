"""``python -m tutorial_helpers workshop prepare``: a class's notebooks and data, offline and fast.

The notebooks come from a small zip made here (or served from a folder on 127.0.0.1); the data at
a tiny scale. Run as root here, so permissions that root ignores are also simulated.
"""

import functools
import http.server
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import zipfile
from collections import namedtuple
from pathlib import Path

import pytest

import tutorial_helpers
from tutorial_helpers import bikes, workshop
from tutorial_helpers.__main__ import main

SRC = Path(tutorial_helpers.__file__).parents[1]
SCALE = "0.002"
NOTEBOOKS = ["01_pandas_baseline/plot_01_pandas_first.ipynb", "02_dataframe/plot_01_same_with_dask.ipynb",
             "10_delayed/plot_01_delayed_pi.ipynb"]


def notebook(name: str) -> bytes:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": [f"# {name}"]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 0}, indent=2).encode()


@pytest.fixture
def notebooks_zip(tmp_path):
    """A zip laid out like the site's lessons_jupyter.zip."""
    path = tmp_path / "download" / workshop.NOTEBOOKS_ZIP
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        for name in NOTEBOOKS:
            archive.writestr(name, notebook(name))
    return path


def run(*args, env=None):
    """The command line in a fresh interpreter, as an instructor runs it."""
    env = dict(os.environ, **(env or {}), PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    env.pop("DASK_COURSE_SITE_URL", None)
    return subprocess.run([sys.executable, "-m", "tutorial_helpers", "workshop", "prepare", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its content and modification time."""
    return {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(folder.rglob("*")) if path.is_file()}


def test_two_learners_then_an_idempotent_second_run(tmp_path, notebooks_zip):
    folder = tmp_path / "class"
    first = run(folder, "--learner", "ana", "--learner", "ben", "--notebooks", notebooks_zip, "--scale", SCALE)

    assert first.returncode == 0, first.stderr
    for name in ("ana", "ben"):
        for relative in NOTEBOOKS:
            assert (folder / name / relative).read_bytes() == notebook(relative)
        assert f"{folder / name}  (3 copied)" in first.stdout
    assert len(bikes.trip_files(folder / "data", generate_if_missing=False)) == 12
    assert "generated" in first.stdout and "Next, each learner:" in first.stdout
    assert str(folder / "NAME" / NOTEBOOKS[0]) in first.stdout
    assert (folder / workshop.NOTEBOOKS_ZIP).is_file()  # the next run needs neither the path nor a network

    before = snapshot(folder)
    second = run(folder, "--learner", "ana", "--learner", "ben")

    assert second.returncode == 0, second.stderr
    assert snapshot(folder) == before  # nothing rewritten, not even touched
    assert "already there" in second.stdout and "(3 already there)" in second.stdout
    assert "kept from an earlier run" in second.stdout


def test_a_learners_edits_survive_and_new_learners_are_added(tmp_path, notebooks_zip):
    folder = tmp_path / "class"
    workshop.prepare(folder, learners=["ana"], notebooks=notebooks_zip, scale=SCALE)
    edited = folder / "ana" / NOTEBOOKS[1]
    edited.write_text("my work")

    done = workshop.prepare(folder, learners=["ana", "carla"], notebooks=notebooks_zip)

    assert edited.read_text() == "my work"
    assert (done.copied, done.present, done.kept) == ({"ana": 0, "carla": 3}, {"ana": 2, "carla": 0},
                                                      {"ana": 1, "carla": 0})
    assert "1 kept as edited" in done.report()


def test_two_runs_at_once(tmp_path, notebooks_zip):
    folder = tmp_path / "class"
    command = [sys.executable, "-m", "tutorial_helpers", "workshop", "prepare", str(folder), "--learner", "ana",
               "--learner", "ben", "--notebooks", str(notebooks_zip), "--scale", SCALE]
    env = dict(os.environ, PYTHONPATH=str(SRC))
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            for _ in range(2)]
    results = [process.communicate(timeout=120) + (process.returncode,) for process in runs]

    assert [code for _, _, code in results] == [0, 0], [err for _, err, _ in results]
    bikes.verify(folder / "data")  # complete and uncorrupted
    for name in ("ana", "ben"):
        assert sorted(p.relative_to(folder / name).as_posix() for p in (folder / name).rglob("*.ipynb")) == sorted(NOTEBOOKS)
        for relative in NOTEBOOKS:
            assert (folder / name / relative).read_bytes() == notebook(relative)
    assert not list(folder.rglob("*.tmp"))  # no temporary file left behind


def test_shared_data_is_read_only_for_the_group_and_reused(tmp_path, notebooks_zip, monkeypatch):
    folder = tmp_path / "scratch"
    workshop.prepare(folder, learners=["ana"], notebooks=notebooks_zip, shared=True, scale=SCALE)
    data = folder / "data"
    for path in [data, *data.iterdir()]:
        mode = path.stat().st_mode
        assert not mode & (stat.S_IWGRP | stat.S_IWOTH) and mode & stat.S_IRGRP, path
    assert (folder / "ana").stat().st_mode & stat.S_IWGRP  # the instructor's copy: learners may save into it
    assert (folder / "ana" / NOTEBOOKS[0]).stat().st_mode & stat.S_IWGRP

    # A learner's run into the shared folder: the data folder is read-only for them.
    for path in data.iterdir():
        path.chmod(0o444)
    data.chmod(0o555)
    before = snapshot(data)

    def no_writing(*args, **kwargs):
        raise AssertionError("the shared data was written to")

    monkeypatch.setattr(bikes, "generate", no_writing)
    monkeypatch.setattr(bikes.store, "locked", no_writing)
    done = workshop.prepare(folder, learners=["ben"])

    assert snapshot(data) == before
    assert not done.data_generated and done.copied == {"ben": 3}
    assert (folder / "ben" / NOTEBOOKS[0]).is_file()


def test_no_space_is_one_line(tmp_path, notebooks_zip, monkeypatch, capsys):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 5_000_000, 5_000_000))

    status = main(["workshop", "prepare", str(tmp_path / "class"), "--notebooks", str(notebooks_zip)])

    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("error: not enough space in") and "MB is free" in err
    assert not (tmp_path / "class").exists()  # found out before writing anything


def test_no_write_permission_is_one_line(tmp_path, notebooks_zip, monkeypatch, capsys):
    parent = tmp_path / "theirs"
    parent.mkdir()
    parent.chmod(0o555)
    real_access = os.access
    # Root may write anywhere: ask os.access the way a learner's account would be answered.
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == parent else real_access(path, mode))

    status = main(["workshop", "prepare", str(parent / "class"), "--notebooks", str(notebooks_zip)])

    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"error: cannot write to {parent / 'class'}: no write permission on {parent}")
    assert not (parent / "class").exists()


def test_notebooks_from_the_site_over_http(tmp_path, notebooks_zip, monkeypatch):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(notebooks_zip.parent))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("DASK_COURSE_SITE_URL", f"http://127.0.0.1:{server.server_port}/")
        done = workshop.prepare(tmp_path / "class", scale=SCALE)  # no --notebooks: the site's zip
    finally:
        server.shutdown()
        server.server_close()

    assert done.notebooks_from == f"http://127.0.0.1:{server.server_port}/{workshop.NOTEBOOKS_ZIP}"
    assert (tmp_path / "class" / "notebooks" / NOTEBOOKS[0]).read_bytes() == notebook(NOTEBOOKS[0])


def test_the_site_is_where_pip_got_the_package(monkeypatch):
    class Installed:
        def read_text(self, name):
            assert name == "direct_url.json"
            return json.dumps({"url": "https://course.example.org/dask/dask_course-0.1.0-py3-none-any.whl",
                               "archive_info": {}})

    monkeypatch.delenv("DASK_COURSE_SITE_URL", raising=False)
    monkeypatch.setattr(workshop.metadata, "distribution", lambda name: Installed())
    assert workshop.site_url() == "https://course.example.org/dask"


def test_without_notebooks_or_a_site_the_error_says_where_to_get_them(tmp_path, monkeypatch):
    monkeypatch.delenv("DASK_COURSE_SITE_URL", raising=False)
    monkeypatch.setattr(workshop, "site_url", lambda: None)
    with pytest.raises(workshop.WorkshopError, match="--notebooks"):
        workshop.prepare(tmp_path / "class", scale=SCALE)


def test_a_file_that_is_no_zip_is_one_line(tmp_path, capsys):
    bad = tmp_path / "lessons_jupyter.zip"
    bad.write_text("<html>Not found</html>")

    status = main(["workshop", "prepare", str(tmp_path / "class"), "--notebooks", str(bad)])

    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "is not a zip file" in err


def test_a_learner_name_cannot_leave_the_folder(tmp_path, notebooks_zip):
    for name in ("../evil", "data", ".hidden"):
        with pytest.raises(workshop.WorkshopError, match="learner's folder name"):
            workshop.prepare(tmp_path / "class", learners=[name], notebooks=notebooks_zip, scale=SCALE)


def test_the_kernel_finds_the_data(tmp_path, notebooks_zip, monkeypatch):
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))  # not the user's own kernels

    done = workshop.prepare(tmp_path / "class", learners=["ana"], notebooks=notebooks_zip, kernel=True, scale=SCALE)

    spec = json.loads((tmp_path / "jupyter" / "kernels" / workshop.KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert spec["env"] == {"DASK_COURSE_DATA": str(tmp_path / "class" / "data")}
    assert f'with the kernel "{done.kernel}"' in done.report()
