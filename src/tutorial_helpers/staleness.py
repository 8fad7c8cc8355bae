"""Re-run lessons when what their outputs depend on changes, not only when their own file does.

sphinx-gallery re-runs a lesson only when the lesson file changes (it keeps an md5 of it). The
pages also depend on the course helpers, the course data, the installed libraries and the
cluster the build runs on. This Sphinx extension fingerprints those inputs; when the fingerprint
differs from the last build's, it drops sphinx-gallery's md5 records so every lesson runs again,
and says in the build log which inputs changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sphinx.util import logging

import tutorial_helpers
from tutorial_helpers import bikes
from tutorial_helpers.cluster import build_cluster_spec

FINGERPRINT_FILE = "inputs-fingerprint.json"
LIBRARIES = ("dask", "distributed", "pandas", "numpy", "pyarrow", "matplotlib", "sphinx-gallery")

logger = logging.getLogger(__name__)


def lesson_inputs(data_dir: Path | None = None) -> dict[str, str]:
    """A digest of each input that every lesson's output depends on, besides the lesson itself."""
    helpers = hashlib.sha256()
    for path in sorted(Path(tutorial_helpers.__file__).parent.glob("*.py")):
        helpers.update(path.name.encode() + b"\0" + path.read_bytes())
    manifest = Path(data_dir or bikes.data_dir()) / "manifest.json"
    cluster = os.environ.get("DASK_SCHEDULER_ADDRESS") or json.dumps(build_cluster_spec(), default=str, sort_keys=True)
    return {
        "course helpers": helpers.hexdigest(),
        "course data": _digest(manifest.read_bytes() if manifest.exists() else b"no data"),
        "libraries": _digest(" ".join(f"{name}={_version(name)}" for name in LIBRARIES).encode()),
        "python": platform.python_version(),
        "cluster": _digest(cluster.encode()),
    }


def rerun_if_inputs_changed(gallery_root: Path, inputs: dict[str, str]) -> list[str]:
    """Forget the gallery's md5 records if ``inputs`` differ from the last build's; say which."""
    record = gallery_root / FINGERPRINT_FILE
    previous = json.loads(record.read_text()) if record.exists() else None
    if previous == inputs:
        return []
    changed = sorted(inputs) if previous is None else sorted(k for k in inputs if previous.get(k) != inputs[k])
    for md5 in gallery_root.glob("**/*.py.md5"):
        md5.unlink()
    gallery_root.mkdir(parents=True, exist_ok=True)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(inputs, indent=1, sort_keys=True))
    os.replace(tmp, record)
    return changed


def _on_builder_inited(app) -> None:
    if str(app.config.plot_gallery).lower() in ("0", "false"):  # `make html-noplot` runs nothing
        return
    gallery_dirs = app.config.sphinx_gallery_conf["gallery_dirs"]
    (gallery_dir,) = [gallery_dirs] if isinstance(gallery_dirs, str) else gallery_dirs
    changed = rerun_if_inputs_changed(Path(app.srcdir) / gallery_dir, lesson_inputs())
    if changed:
        logger.info("tutorial_helpers: lesson inputs changed (%s): every lesson runs again", ", ".join(changed))


def setup(app):
    # Before sphinx-gallery's own builder-inited handler (priority 500), which runs the lessons.
    app.connect("builder-inited", _on_builder_inited, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "absent"
