"""A data folder: where it is, its ``manifest.json``, its lock, and the checks of its files.

The manifest lists every file the folder vouches for, with its size and sha256, and how the data
was made (``kind`` ``"synthetic"`` with ``scale``, ``year``, ``seed`` and ``generator_version``,
or ``"bluebikes"`` for downloaded files). Writers hold the folder's lock and replace files only
through `tutorial_helpers.files`; every problem is a one-line `DataError` naming the command that
fixes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from tutorial_helpers import files

try:  # a lock keeps two builds from generating into one folder at once; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: The 15 columns of the Bluebikes monthly trip files (mid-2018 to early 2021), in file order.
SCHEMA = [
    "tripduration",
    "starttime",
    "stoptime",
    "start station id",
    "start station name",
    "start station latitude",
    "start station longitude",
    "end station id",
    "end station name",
    "end station latitude",
    "end station longitude",
    "bikeid",
    "usertype",
    "birth year",
    "gender",
]

#: The course's data set, which the first use of the data makes: ``generate``'s defaults.
DEFAULTS = {"scale": 1.0, "year": 2019, "seed": 2011}
MANIFEST = "manifest.json"
COMMAND = "python -m tutorial_helpers data"


class DataError(RuntimeError):
    """The trip data is missing, incomplete or does not verify; the message names the fix."""


def data_dir() -> Path:
    """Return the folder for the trip data: ``$DASK_COURSE_DATA``, else the user's cache folder."""
    if os.environ.get("DASK_COURSE_DATA"):
        return Path(os.environ["DASK_COURSE_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "dask-course" / "bluebikes"


def resolve(folder) -> Path:
    """``folder`` as a path, or `data_dir` when it is None."""
    return data_dir() if folder is None else Path(folder).expanduser()


def file_name(year: int, month: int, ext: str = "csv") -> str:
    """The name Bluebikes gives a month's file: ``201907-bluebikes-tripdata.csv``."""
    return f"{year:04d}{month:02d}-bluebikes-tripdata.{ext}"


def fix(folder: Path, manifest: dict | None = None, month: str | None = None) -> str:
    """The command that repairs ``folder``, as a user would type it."""
    options = []
    if manifest and manifest.get("kind") == "bluebikes":
        months = [month] if month else sorted(f["name"][:6] for f in manifest["files"])
        command = f"{COMMAND} download --months {' '.join(months)}"
    else:
        command = f"{COMMAND} generate"
        for key, default in DEFAULTS.items():
            if manifest and manifest.get(key, default) != default:
                options.append(f"--{key} {manifest[key]}")
    if folder.resolve() != data_dir().resolve():
        options.append(f"--data-dir {folder}")
    return " ".join([command, *options])


def read_manifest(folder: Path) -> dict:
    """The manifest of ``folder``; a `DataError` naming the fix if there is none or it is unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not all({"name", "bytes", "sha256"} <= set(f) for f in entries(manifest)):
            raise ValueError("file entry without name, bytes or sha256")
    except FileNotFoundError:
        raise DataError(f"No Bluebikes trip data in {folder}: run `{fix(folder)}`") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(
            f"Bluebikes data in {folder} has an unreadable {MANIFEST} ({error}): run `{fix(folder)}`"
        ) from None
    return manifest


def write_manifest(folder: Path, manifest: dict) -> None:
    files.write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def entries(manifest: dict) -> list[dict]:
    """Every file the manifest vouches for: the trip CSVs, then any JSON-lines files."""
    return manifest["files"] + manifest.get("json_files", [])


def check_sizes(folder: Path, manifest: dict) -> None:
    """A `DataError` naming the fix if a file of the manifest is missing or has another size."""
    for entry in entries(manifest):
        path = folder / entry["name"]
        size = path.stat().st_size if path.is_file() else None
        if size != entry["bytes"]:
            found = "is missing" if size is None else f"has {size} bytes, expected {entry['bytes']}"
            raise DataError(
                f"Bluebikes data in {folder} is incomplete or corrupt ({entry['name']} {found}): "
                f"run `{fix(folder, manifest, entry['name'][:6])}`"
            )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def locked(folder: Path):
    """Hold ``folder``'s lock; leftovers of writers that were killed are removed under it."""
    if fcntl is None:  # pragma: no cover - Windows: no lock, leftovers stay
        yield
        return
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            files.remove_leftovers(folder)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Progress:
    """One line per step on stderr; a bar redrawn in place when stderr is a terminal."""

    def __init__(self, enabled: bool, total: int, label: str):
        self.enabled, self.total, self.label = enabled, total, label
        self.tty = enabled and sys.stderr.isatty()

    def __call__(self, done: int, text: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            bar = "#" * round(20 * done / self.total)
            end = "\n" if done == self.total else ""
            sys.stderr.write(f"\r{self.label} [{bar:<20}] {done}/{self.total} {text}\x1b[K{end}")
        else:
            sys.stderr.write(f"{self.label} {done}/{self.total}: {text}\n")
        sys.stderr.flush()
