"""Where the course's Bluebikes trip data lives, and how it gets there.

``trip_files()`` and ``json_files()`` list the data, and make it on first use, the way
scikit-learn's ``fetch_*`` functions do: the first call on a machine writes the default synthetic
data set into ``data_dir()`` (``$DASK_COURSE_DATA``, else ``~/.cache/dask-course/bluebikes``),
saying where and how big, with a progress bar. ``generate()`` writes that deterministic synthetic
year with the real monthly trip-file schema, locally and without a network, plus one trip in three
of the first quarter as JSON lines; ``download()`` is the opt-in way to fetch and verify the real
files instead. ``info()`` says what a folder holds, ``scaled()`` gives the folder of the data at
another size, ``stations()`` the stations' table.

Everything here is public; how it is done lives in ``synthetic`` (the generator), ``store`` (the
folder's manifest, lock and checks) and ``real`` (the download).
"""

from __future__ import annotations

import os
from pathlib import Path

from tutorial_helpers.bikes import store, synthetic
from tutorial_helpers.bikes.real import download
from tutorial_helpers.bikes.store import SCHEMA, DataError, data_dir
from tutorial_helpers.bikes.synthetic import GENERATOR_VERSION, expected_bytes, generate, stations

__all__ = [
    "GENERATOR_VERSION",
    "SCHEMA",
    "DataError",
    "check_workers_see_data",
    "data_dir",
    "download",
    "expected_bytes",
    "generate",
    "info",
    "json_files",
    "scaled",
    "stations",
    "trip_files",
    "verify",
]


def trip_files(data_dir=None, *, generate_if_missing=True) -> list[Path]:
    """Return the monthly trip CSVs of the data folder, sorted; a `DataError` if any is missing.

    Where the folder holds no data yet, first writes the default synthetic data set there
    (`generate`, about 20 s and 265 MB; once), unless ``generate_if_missing`` is false. A folder
    whose data is incomplete or corrupt is never overwritten: the error names the command to fix it.
    Cheap otherwise: checks that each file listed in ``manifest.json`` exists with its recorded size.
    """
    folder = store.resolve(data_dir)
    _generate_on_first_use(folder, generate_if_missing)
    manifest = store.read_manifest(folder)
    store.check_sizes(folder, manifest)
    return sorted(folder / entry["name"] for entry in manifest["files"])


def json_files(data_dir=None, *, generate_if_missing=True) -> list[Path]:
    """Return the JSON-lines trip files of the data folder, sorted; a `DataError` if any is missing.

    One file per month from January to March (``201901-bluebikes-tripdata.jsonl``, ...), written by
    `generate` from every third trip of the CSVs (the first, the fourth, ...), one nested record per
    line: ``{"tripduration": 539, "starttime": ..., "stoptime": ..., "start": {"id", "name", "lat",
    "lon"}, "end": {...} or null, "bikeid": ..., "user": {"type", "birth_year", "gender"}}``.
    Like a real feed, it has broken lines: about 0.3% are cut short (not valid JSON), 0.25% have
    ``"tripduration": "n/a"`` and 0.25% lack ``"tripduration"``, ``"start"`` or ``"user"``.
    Made on first use and cheap, like `trip_files`.
    """
    folder = store.resolve(data_dir)
    _generate_on_first_use(folder, generate_if_missing)
    manifest = store.read_manifest(folder)
    if manifest.get("kind") != "synthetic":
        raise DataError(
            f"{folder} holds downloaded Bluebikes files, which have no JSON-lines version: "
            f"the JSON lines come with the synthetic data of `{store.COMMAND} generate`"
        )
    if "json_files" not in manifest:
        raise DataError(
            f"Bluebikes data in {folder} predates the JSON-lines files: run `{store.fix(folder, manifest)}`"
        )
    store.check_sizes(folder, manifest)
    return sorted(folder / entry["name"] for entry in manifest["json_files"])


def info(data_dir=None) -> dict:
    """What the data folder holds, from its manifest, without reading the data.

    ``{"folder", "kind", "scale", "year", "seed", "generator_version", "trips", "trip_files",
    "trip_bytes", "json_files", "json_lines", "json_bytes", "trip_entries", "json_entries"}``;
    ``kind`` is ``"synthetic"`` or ``"bluebikes"`` (downloaded, where ``year``, ``seed`` and
    ``generator_version`` are ``None`` and ``scale`` is the synthetic scale with as many trips, so
    that ``scaled(16 * info()["scale"])`` is sixteen times the data at hand); each ``*_entries`` lists its files' ``{"name",
    "rows", "bytes", "sha256"}`` by name: what identifies the data, e.g. for a copy made from it.
    A `DataError` naming the fix if there is no data.
    """
    folder = store.resolve(data_dir)
    manifest = store.read_manifest(folder)
    trips, json_entries = manifest["files"], manifest.get("json_files", [])
    synthetic_data = manifest.get("kind") == "synthetic"
    n_trips = sum(entry.get("rows", 0) for entry in trips)
    return {
        "folder": folder,
        "kind": manifest.get("kind"),
        **{
            key: manifest.get(key) if synthetic_data else None
            for key in ("scale", "year", "seed", "generator_version")
        },
        **({} if synthetic_data else {"scale": n_trips / synthetic.TRIPS_PER_SCALE}),
        "trips": n_trips,
        "trip_files": len(trips),
        "trip_bytes": sum(entry["bytes"] for entry in trips),
        "json_files": len(json_entries),
        "json_lines": sum(entry.get("rows", 0) for entry in json_entries),
        "json_bytes": sum(entry["bytes"] for entry in json_entries),
        "trip_entries": _listing(trips),
        "json_entries": _listing(json_entries),
    }


def scaled(scale: float, *, progress=False) -> Path:
    """The folder of the synthetic data at ``scale`` (1 = about 1 M trips a year), made on first use.

    It sits beside the course data (`data_dir`), named after it: ``<data_dir>-scale-<scale>``, so
    lessons, ``make scale`` and the command line share one copy per scale wherever
    ``$DASK_COURSE_DATA`` points. Its files: ``trip_files(scaled(scale))``.
    """
    home = data_dir()
    folder = home.with_name(f"{home.name}-scale-{float(scale):g}")
    generate(folder, scale=scale, progress=progress)
    return folder


def verify(data_dir=None) -> None:
    """Check every data file against its sha256 in ``manifest.json``; a `DataError` names the first bad one.

    Reads every byte: use `trip_files` for the cheap check.
    """
    folder = store.resolve(data_dir)
    manifest = store.read_manifest(folder)
    store.check_sizes(folder, manifest)
    for entry in sorted(store.entries(manifest), key=lambda entry: entry["name"]):
        if store.sha256(folder / entry["name"]) != entry["sha256"]:
            raise DataError(
                f"Bluebikes data in {folder} is corrupt ({entry['name']} does not match its sha256): "
                f"run `{store.fix(folder, manifest, entry['name'][:6])}`"
            )


def check_workers_see_data(client, files) -> None:
    """Stop before any work when a worker of ``client``'s cluster cannot read the trip ``files``.

    On a cluster of several nodes the workers read the files themselves, so the data folder
    must be on a filesystem every node mounts. Raises ``FileNotFoundError`` with one line naming
    the workers that cannot read them; nothing is raised when all can.
    """
    paths = [str(Path(f).resolve()) for f in files]
    seen = client.run(_unreadable, paths)
    missing = {worker: bad for worker, bad in seen.items() if bad}
    if missing:
        first = next(iter(missing.values()))[0]
        raise FileNotFoundError(
            f"{len(missing)} of {len(seen)} workers cannot read the course data "
            f"({', '.join(sorted(missing))} cannot read {first}): "
            "DASK_COURSE_DATA must name a folder on a filesystem that all nodes share"
        )


def _unreadable(paths: list[str]) -> list[str]:
    """The paths this process cannot read (runs on each worker through ``client.run``)."""
    return [path for path in paths if not os.access(path, os.R_OK)]


def _generate_on_first_use(folder: Path, generate_if_missing: bool) -> None:
    """Write the default data set into ``folder`` if it holds no data at all (no manifest)."""
    if generate_if_missing and not (folder / store.MANIFEST).exists():
        synthetic.generate(folder, **store.DEFAULTS, progress=True)


def _listing(entries: list[dict]) -> list[dict]:
    """Name, rows, bytes and sha256 of each file, by name."""
    listing = [{"name": entry["name"], "rows": entry.get("rows", 0), "bytes": entry["bytes"], "sha256": entry["sha256"]}
               for entry in entries]
    return sorted(listing, key=lambda entry: entry["name"])
