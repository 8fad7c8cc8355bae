"""Set up a class in one command: ``python -m tutorial_helpers workshop prepare DIR``.

The live workshop this course grows from starts with one setup script, run on a login node, that
copies the notebooks and the data into each learner's space. `prepare` is that script for this
course. Into ``DIR`` it puts:

- ``DIR/data/``: the course's trip data (`bikes.generate`), once for the whole class. With
  ``shared=True`` (DIR is a group's scratch folder) the data is made read-only for the group and
  each learner's folder writable by it, so learners can run the command themselves into DIR;
- ``DIR/lessons_jupyter.zip``: the lesson notebooks as the course site publishes them, kept so
  that the next run needs no network;
- ``DIR/NAME/``, one per learner (``learners=["ana", "ben"]``; ``DIR/notebooks/`` without
  names): the notebooks, in their topic folders. A notebook already there is never replaced, so a
  learner's edits survive a second run;
- with ``kernel=True``, a Jupyter kernel for this Python (``python -m ipykernel install --user``)
  that sets ``DASK_COURSE_DATA`` to ``DIR/data``, so the notebooks find the data. It is registered
  for the user who runs the command.

The notebooks come from the site's ``lessons_jupyter.zip``: a path or URL given as
``notebooks=``; else the copy a previous run left in ``DIR``; else the zip on the site the course
package was installed from (the notebooks' first cell installs it from there), or at
``$DASK_COURSE_SITE_URL``.

Running it again changes nothing that is already in place, and two runs at once are safe: every
file is written to a temporary name and moved into place, never over a learner's notebook, and the
data generation holds a lock. Problems are reported as one `WorkshopError` line that names the fix
(no space, no permission, no notebooks).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from tutorial_helpers import bikes, files

__all__ = ["KERNEL_NAME", "NOTEBOOKS_ZIP", "Prepared", "WorkshopError", "prepare", "site_url"]

#: The file name of the notebooks' zip on the course site (at its root) and in ``DIR``.
NOTEBOOKS_ZIP = "lessons_jupyter.zip"
#: The name of the Jupyter kernel that ``kernel=True`` registers.
KERNEL_NAME = "dask-course"
_DEFAULT_FOLDER = "notebooks"  # the notebooks' folder when no learner is named
_RESERVED = {"data", _DEFAULT_FOLDER}
_LEARNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TIMEOUT = 60  # seconds without data before a download gives up
_FIRST_NOTEBOOK = "01_pandas_baseline/plot_01_pandas_first.ipynb"


class WorkshopError(RuntimeError):
    """The class cannot be prepared; the one-line message says why and what to do."""


@dataclass
class Prepared:
    """What `prepare` did, for its report: folders, counts, and what the learner opens next."""

    folder: Path
    data: Path
    data_summary: str
    data_generated: bool
    notebooks_from: str
    learners: dict[str, Path] = field(default_factory=dict)
    copied: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    kernel: str | None = None
    shared: bool = False
    first_notebook: str = _FIRST_NOTEBOOK

    def report(self) -> str:
        """Lines for the person who ran `prepare`, ending with what each learner does next."""
        made = "generated" if self.data_generated else "already there"
        access = ", read-only for the group" if self.shared else ""
        lines = [f"Data:      {self.data} ({self.data_summary}; {made}{access})",
                 f"Notebooks: from {self.notebooks_from}"]
        width = max(len(name) for name in self.learners) + 1
        for name, path in self.learners.items():
            done = [f"{self.copied[name]} copied"] if self.copied[name] else []
            done += [f"{self.present[name]} already there"] if self.present[name] else []
            done += [f"{self.kept[name]} kept as edited"] if self.kept[name] else []
            lines.append(f"  {name + ':':<{width}}  {path}  ({', '.join(done)})")
        if self.kernel:
            lines.append(f'Kernel:    "{self.kernel}" (this Python, with DASK_COURSE_DATA={self.data})')
            kernel = f'with the kernel "{self.kernel}"'
        else:
            lines.append("Kernel:    none registered (--kernel registers this Python, with the data folder)")
            kernel = f"and runs `%env DASK_COURSE_DATA={self.data}` in a new first cell"
        folder = next(iter(self.learners.values()))
        if len(self.learners) > 1:
            folder = folder.parent / "NAME"
        lines += [f"Next, {'each' if len(self.learners) > 1 else 'the'} learner:",
                  "  1. starts Jupyter on a compute node (on a portal such as OnDemand: a Jupyter session, "
                  "4 cores, 3 hours);",
                  f"  2. opens {folder / self.first_notebook} {kernel};",
                  "  3. runs the cells from the top."]
        return "\n".join(lines)


def site_url() -> str | None:
    """The course site's address, if known: ``$DASK_COURSE_SITE_URL``, else where pip got the package.

    A downloaded notebook's first cell installs the course package from the site's wheel; pip
    records that address in the package's ``direct_url.json`` (PEP 610).
    """
    if os.environ.get("DASK_COURSE_SITE_URL"):
        return os.environ["DASK_COURSE_SITE_URL"].rstrip("/")
    try:
        direct = json.loads(metadata.distribution("dask-course").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    url = direct.get("url", "")
    if url.startswith(("http://", "https://")) and url.endswith(".whl"):
        return url.rsplit("/", 1)[0]
    return None


def prepare(folder, *, learners=(), notebooks=None, kernel=False, shared=False, scale=None) -> Prepared:
    """Put the notebooks and the data for a class into ``folder``; return what was done.

    ``learners`` names each learner's folder of notebooks (none: ``folder/notebooks``);
    ``notebooks`` is the site's ``lessons_jupyter.zip`` as a path or URL (see the module's
    docstring for the default); ``kernel`` registers a Jupyter kernel that finds the data;
    ``shared`` makes the data read-only and the learners' folders writable for the group;
    ``scale`` is the data's size (1.0, the default for new data: about a million trips, 265 MB);
    without it, the data already in ``folder/data`` is used whatever its scale.
    """
    folder = Path(folder).expanduser().absolute()
    names = list(dict.fromkeys(learners)) or [_DEFAULT_FOLDER]
    for name in names:
        if name != _DEFAULT_FOLDER and (not _LEARNER.match(name) or name in _RESERVED):
            raise WorkshopError(f"{name!r} cannot be a learner's folder name: use letters, digits, '.', '_' "
                                f"or '-' (not 'data' or 'notebooks')")
    data = folder / "data"
    has_data = _holds_data(data, scale)
    scale = 1.0 if scale is None else float(scale)
    zip_path = folder / NOTEBOOKS_ZIP
    needed = 0 if has_data else bikes.expected_bytes(scale)
    _check_writable(folder)
    _check_space(folder, needed, len(names))
    folder.mkdir(parents=True, exist_ok=True)
    if shared:
        _chmod(folder, add=stat.S_IRWXG | stat.S_ISGID)  # learners make their own folders in it

    source = _fetch_notebooks(folder, zip_path, notebooks)
    members = _notebook_members(zip_path, source)
    _check_space(folder, needed + len(names) * sum(info.file_size for info in members), 0)

    if not has_data:
        try:
            bikes.generate(data, scale=scale, progress=True)
        except PermissionError as error:
            raise WorkshopError(f"cannot write the data into {data} ({error.strerror}): it is shared read-only; "
                                f"run without --scale to use the data it holds, or ask its owner") from None
    if shared:
        _make_read_only_for_group(data)
    result = Prepared(folder, data, _data_summary(data), not has_data, source, shared=shared)
    with zipfile.ZipFile(zip_path) as archive:
        for name in names:
            target = folder / name
            result.learners[name] = target
            result.copied[name], result.present[name], result.kept[name] = _copy_notebooks(archive, members, target)
            if shared:
                _make_writable_for_group(target)
    if not any(info.filename == _FIRST_NOTEBOOK for info in members):
        result.first_notebook = sorted(info.filename for info in members)[0]
    if kernel:
        result.kernel = _register_kernel(data)
    return result


# -- checks before writing ---------------------------------------------------------------------------

def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_writable(folder: Path) -> None:
    existing = _existing(folder)
    if not existing.is_dir():
        raise WorkshopError(f"cannot prepare {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "it" if existing == folder else existing
        raise WorkshopError(f"cannot write to {folder}: no write permission on {where}; choose a folder you "
                            f"may write to (your home or scratch space), or ask its owner")


def _check_space(folder: Path, data_bytes: int, learners: int, per_learner: int = 3_000_000) -> None:
    """One line if ``folder``'s file system has less room than the data and notebooks need."""
    needed = data_bytes + learners * per_learner
    free = shutil.disk_usage(_existing(folder)).free
    if free < needed:
        raise WorkshopError(f"not enough space in {folder}: the data and notebooks need about "
                            f"{needed / 1e6:,.0f} MB and {free / 1e6:,.0f} MB is free; free some space, choose "
                            f"another folder, or make less data with --scale")


# -- the notebooks -----------------------------------------------------------------------------------

def _fetch_notebooks(folder: Path, zip_path: Path, notebooks) -> str:
    """Put the notebooks' zip at ``zip_path``; return where it came from, for the report."""
    if notebooks is None and zip_path.is_file():
        return f"{zip_path} (kept from an earlier run)"
    if notebooks is None:
        site = site_url()
        if site is None:
            raise WorkshopError(f"where are the notebooks? Download {NOTEBOOKS_ZIP} from the course site's Lessons "
                                f"page and pass it with --notebooks PATH (or its URL)")
        notebooks = f"{site}/{NOTEBOOKS_ZIP}"
    source = str(notebooks)
    if urllib.parse.urlsplit(source).scheme in ("http", "https", "file"):
        _download(source, zip_path)
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise WorkshopError(f"no notebooks at {path}: pass the course site's {NOTEBOOKS_ZIP} (a file or its URL)")
        if path.resolve() != zip_path.resolve():
            files.copy_atomic(path, zip_path)
    return source


def _download(url: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response, files.atomic_write(target) as out:
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise WorkshopError(f"could not download the notebooks from {url} ({reason}); download {NOTEBOOKS_ZIP} "
                            f"yourself and pass it with --notebooks PATH") from None


def _notebook_members(zip_path: Path, source: str) -> list[zipfile.ZipInfo]:
    """The notebooks in the zip, each a safe relative path; one line if it holds none."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = [info for info in archive.infolist() if info.filename.endswith(".ipynb")]
    except zipfile.BadZipFile:
        zip_path.unlink(missing_ok=True)  # so that the next run fetches it again
        raise WorkshopError(f"{source} is not a zip file: pass the course site's {NOTEBOOKS_ZIP}") from None
    for info in members:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts:
            raise WorkshopError(f"{source} holds a notebook outside its folder ({info.filename}): not the course's zip")
    if not members:
        raise WorkshopError(f"{source} holds no notebooks: pass the course site's {NOTEBOOKS_ZIP}")
    return members


def _copy_notebooks(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], target: Path) -> tuple[int, int, int]:
    """Copy each notebook that ``target`` lacks; count copied, already there, and kept as edited."""
    copied = present = kept = 0
    for info in members:
        path = target.joinpath(*PurePosixPath(info.filename).parts)
        content = archive.read(info)
        if path.exists():
            same = path.read_bytes() == content
            present, kept = present + same, kept + (not same)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if _create(path, content):
            copied += 1
        else:
            present += 1  # another run put it there meanwhile
    return copied, present, kept


def _create(path: Path, content: bytes) -> bool:
    """Write ``path`` complete, only if it does not exist (never over a learner's edits); whether it did."""
    try:
        files.write_atomic(path, content, replace=False)  # not even over a file that appeared meanwhile
    except FileExistsError:
        return False
    return True


# -- permissions -------------------------------------------------------------------------------------

def _chmod(path: Path, *, add: int = 0, remove: int = 0) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if (mode | add) & ~remove != mode:
        try:
            os.chmod(path, (mode | add) & ~remove)
        except PermissionError:  # someone else's file in a shared folder: leave it as its owner set it
            pass


def _make_read_only_for_group(data: Path) -> None:
    """Group and others may read the data, not change it: no one's run can break the others'."""
    write = stat.S_IWGRP | stat.S_IWOTH
    read = stat.S_IRGRP | stat.S_IROTH
    for path in [data, *data.iterdir()]:
        _chmod(path, add=read | (stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0), remove=write)


def _make_writable_for_group(target: Path) -> None:
    """The group may save into a learner's folder that someone else (the instructor) made."""
    for path in [target, *target.rglob("*")]:
        directory = stat.S_IRWXG | stat.S_ISGID if path.is_dir() else 0
        _chmod(path, add=stat.S_IRGRP | stat.S_IWGRP | directory)


# -- the data and the kernel ---------------------------------------------------------------------------

def _holds_data(data: Path, scale) -> bool:
    """Whether ``data`` holds complete course data: any scale, or the one asked for."""
    try:
        bikes.trip_files(data, generate_if_missing=False)
        bikes.json_files(data, generate_if_missing=False)
    except bikes.DataError:
        return False
    return scale is None or bikes.info(data)["scale"] == float(scale)


def _data_summary(data: Path) -> str:
    held = bikes.info(data)
    size = held["trip_bytes"] + held["json_bytes"]
    return f"{held['trip_files']} monthly trip files, {held['trips']:,} rows, {size / 1e6:,.0f} MB"


def _register_kernel(data: Path) -> str:
    """Register this Python as a Jupyter kernel that sets ``DASK_COURSE_DATA``; return its display name."""
    display = f"Dask course (Python {sys.version_info.major}.{sys.version_info.minor})"
    command = [sys.executable, "-m", "ipykernel", "install", "--user", "--name", KERNEL_NAME,
               "--display-name", display, "--env", "DASK_COURSE_DATA", str(data)]
    try:
        # `ipykernel install` stages the spec in a new folder under TMPDIR and leaves that folder
        # behind (ipykernel 7.4): give it one that is removed.
        with tempfile.TemporaryDirectory() as staging:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                                  env=dict(os.environ, TMPDIR=staging))
    except OSError as error:
        raise WorkshopError(f"could not register the Jupyter kernel ({error})") from None
    if done.returncode != 0:
        if "No module named ipykernel" in done.stderr:
            raise WorkshopError(f"registering a kernel needs ipykernel in this Python: "
                                f"`{sys.executable} -m pip install ipykernel`, then run again")
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise WorkshopError(f"could not register the Jupyter kernel: {last}")
    return display
