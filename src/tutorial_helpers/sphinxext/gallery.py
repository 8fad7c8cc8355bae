"""Facts about the course's one sphinx-gallery gallery that several build hooks share.

Where the generated lesson pages live, whether this build runs the lessons at all, and how a
hook records a small JSON file there without leaving a half-written one behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from tutorial_helpers import files


def gallery_root(gallery_conf: dict, srcdir: str | Path | None = None) -> Path:
    """The folder of generated lesson pages: the course has one gallery; lesson names are unique in it."""
    dirs = gallery_conf["gallery_dirs"]
    (gallery_dir,) = [dirs] if isinstance(dirs, str) else dirs
    return Path(srcdir if srcdir is not None else gallery_conf["src_dir"]) / gallery_dir


def lessons_run(config) -> bool:
    """Whether this build executes the lessons (`make html-noplot` sets ``plot_gallery=0``)."""
    return str(config.plot_gallery).lower() not in ("0", "false")


def write_json_atomic(path: Path, data: object) -> None:
    """Write ``data`` as JSON to ``path`` by renaming a complete temporary file into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, json.dumps(data, indent=1, sort_keys=True))
