"""The real Bluebikes monthly trip files: download, check and record them (opt-in, needs a network).

Each month's zip is fetched from the Bluebikes bucket, checked (zip integrity, the `SCHEMA`
header and, if given, its sha256) and only then does its CSV take its final name; the folder's
``manifest.json`` records what was fetched, so `verify` and `trip_files` treat it like the
synthetic data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

from tutorial_helpers import files
from tutorial_helpers.bikes import store
from tutorial_helpers.bikes.store import SCHEMA, DataError

__all__ = ["download"]

_BASE_URL = "https://s3.amazonaws.com/hubway-data"
_TIMEOUT = 60  # seconds without data before a download gives up


def download(months, data_dir=None, *, base_url=_BASE_URL, checksums=None, progress=False) -> list[Path]:
    """Download real monthly trip files (``"201907"``, ...) and return the paths of their CSVs.

    Needs a network. Each zip is checked (zip integrity, the ``SCHEMA`` header and, if
    ``checksums`` maps its file name to a sha256, that hash) before its CSV takes the final name;
    the sha256 of what was fetched is recorded in the folder's ``manifest.json``. The folder
    defaults to ``data_dir() / "real"``, apart from the synthetic data.
    """
    months = [str(month) for month in ([months] if isinstance(months, (str, int)) else months)]
    for month in months:
        if not re.fullmatch(r"(19|20)\d\d(0[1-9]|1[0-2])", month):
            raise ValueError(f"months are written YYYYMM, like 201907; got {month!r}")
    folder = store.resolve(None) / "real" if data_dir is None else store.resolve(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    report = store.Progress(progress, len(months), "downloading")

    with store.locked(folder):
        try:
            manifest = store.read_manifest(folder)
        except DataError:
            manifest = {"kind": "bluebikes", "files": []}
        if manifest.get("kind") != "bluebikes":
            raise DataError(f"{folder} holds synthetic data: download real files into another folder")
        paths = []
        for done, month in enumerate(months, start=1):
            zip_name = store.file_name(int(month[:4]), int(month[4:]), "zip")
            csv_name = store.file_name(int(month[:4]), int(month[4:]))
            url = f"{base_url.rstrip('/')}/{zip_name}"
            with files.temporary(folder / zip_name) as zip_tmp:
                zip_sha = _fetch(url, zip_tmp)
                expected = None if checksums is None else checksums.get(zip_name)
                if checksums is not None and expected != zip_sha:
                    why = f"sha256 {zip_sha}, expected {expected}" if expected else "no checksum given"
                    raise DataError(f"download of {url} failed verification ({why}); nothing was kept")
                with files.atomic_write(folder / csv_name) as csv_file:
                    rows, size, csv_sha = _extract_csv(zip_tmp, csv_file, url)
                    # Forget any older copy before replacing it, so the manifest never vouches for a mix.
                    manifest["files"] = [f for f in manifest["files"] if f["name"] != csv_name]
                    store.write_manifest(folder, manifest)
            entry = {"name": csv_name, "rows": rows, "bytes": size, "sha256": csv_sha, "url": url,
                     "zip_sha256": zip_sha}
            manifest["files"] = sorted([*manifest["files"], entry], key=lambda f: f["name"])
            store.write_manifest(folder, manifest)
            paths.append(folder / csv_name)
            report(done, f"{csv_name} ({rows:,} rows)")
    return paths


def _fetch(url: str, path: Path) -> str:
    """Save ``url`` to ``path`` and return its sha256; a one-line `DataError` if that fails."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as response, open(path, "wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as error:
        error.close()
        raise DataError(
            f"could not download {url}: HTTP {error.code} {error.reason}; "
            "check the months and your connection, or use the synthetic data"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise DataError(
            f"could not download {url}: {reason}; check your connection or use the synthetic data"
        ) from None
    return digest.hexdigest()


def _extract_csv(zip_path: Path, out, url: str) -> tuple[int, int, str]:
    """Unpack the one CSV of ``zip_path`` into the stream ``out``, check its header; its rows, bytes and sha256."""
    digest, size, newlines = hashlib.sha256(), 0, 0
    try:
        with zipfile.ZipFile(zip_path) as archive:
            bad = archive.testzip()
            members = [
                m for m in archive.namelist() if m.lower().endswith(".csv") and not m.startswith("__MACOSX")
            ]
            if bad is not None or len(members) != 1:
                why = f"{bad} is damaged" if bad else f"{len(members)} CSV files inside, expected 1"
                raise DataError(f"download of {url} failed verification ({why}); nothing was kept")
            with archive.open(members[0]) as source:
                first_line = source.readline(1 << 20)  # the header, or its first MiB
                chunk = first_line
                while chunk:
                    digest.update(chunk)
                    size += len(chunk)
                    newlines += chunk.count(b"\n")
                    out.write(chunk)
                    chunk = source.read(1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        raise DataError(f"download of {url} is not a valid zip ({error}); nothing was kept") from None
    text = first_line.decode("utf-8-sig", errors="replace")
    header = [name.strip() for name in next(csv.reader(io.StringIO(text, newline="")), [])]
    if header != SCHEMA:
        raise DataError(
            f"download of {url} does not have the expected trip-file columns "
            f"(got {', '.join(header[:4]) or 'nothing'}, ...); Bluebikes changed its format in 2021"
        )
    return max(newlines - 1, 0), size, digest.hexdigest()
