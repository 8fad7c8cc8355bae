"""Dask performance reports on lesson pages: a sphinx-gallery scraper and the Sphinx step that ships them.

A lesson writes a report the way a learner would, into its working directory::

    with performance_report(filename="dask-report.html", mode="inline"):
        ...

During a build that directory is the lesson's source folder. After each code block,
:data:`scraper` moves every Dask performance report the block wrote there into the gallery's
``images`` folder, so nothing is left among the sources, and shows it on the page in an
``<iframe>`` under the block, with a link to open it full size. ``mode="inline"`` makes the
report self-contained (Bokeh's JavaScript inside the file), so it works offline; the one outside
reference the report carries, a favicon on docs.dask.org, is removed. So is what belongs to the
build machine and not to the lesson (:func:`scrub`): each scheduler or worker address becomes
``address-1``, ``address-2``, … (a worker thread's id, ``thread-1``, …), and file paths keep only their part from ``site-packages/`` or
``python3.X/`` on.

Sphinx copies only the images it knows about into the HTML output, so when an HTML build
finishes, :func:`copy_reports` (a ``build-finished`` hook) copies the reports next to their pages.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from tutorial_helpers.sphinxext.gallery import gallery_root

REPORT_TITLE = b"<title>Dask Performance Report</title>"
IFRAME_HEIGHT = "720px"
_SEEN_KEY = "dask_performance_reports"  # per-lesson count, kept in sphinx-gallery's block variables
_OUTSIDE_FAVICON = re.compile(rb'<link rel="(?:shortcut )?icon" href="https?://[^"]*"\s*/?>\s*')
# A worker's address, and in the task stream its thread's id after a dash.
_ADDRESS = re.compile(rb"\b((?:tcp|tls|ucx|inproc|ws|wss)://[\w.\[\]:-]+?:\d{1,5})(?:-(\d{6,}))?\b")
# A path up to the installed package or standard-library module it points into.
_PATH_PREFIX = re.compile(rb"(?:/[\w.+-]+)+/(?=(?:site-packages|python3\.\d+)/)")


def scrub(report: bytes) -> bytes:
    """A performance report without the build's addresses, ports and file paths (see the module doc)."""
    report = _OUTSIDE_FAVICON.sub(b"", report)
    addresses: dict[bytes, bytes] = {}
    threads: dict[bytes, bytes] = {}

    def renamed(match: re.Match) -> bytes:
        address = addresses.setdefault(match.group(1), b"address-%d" % (len(addresses) + 1))
        if match.group(2) is None:
            return address
        return address + b"-thread-" + threads.setdefault(match.group(2), b"%d" % (len(threads) + 1))

    report = _ADDRESS.sub(renamed, report)
    return _PATH_PREFIX.sub(b"", report)


def is_performance_report(path: Path) -> bool:
    """Whether ``path`` is an HTML file written by ``distributed.performance_report``."""
    if path.suffix.lower() != ".html" or not path.is_file():
        return False
    with path.open("rb") as f:
        return REPORT_TITLE in f.read(4096)


def report_rst(relative_url: str, title: str) -> str:
    """reST showing one report in an iframe, with a link to open it on its own."""
    url, title = html.escape(relative_url, quote=True), html.escape(title, quote=True)
    return (
        "\n.. raw:: html\n\n"
        '    <div class="dask-performance-report">\n'
        f'    <iframe src="{url}" title="{title}" loading="lazy"\n'
        f'            style="width: 100%; height: {IFRAME_HEIGHT}; border: 1px solid #ccc;"></iframe>\n'
        f'    <p><a href="{url}" target="_blank" rel="noopener">Open the performance report full size</a></p>\n'
        "    </div>\n\n"
    )


class ReportScraper:
    """Moves the performance reports a code block wrote into the images folder and embeds them."""

    def __repr__(self) -> str:
        # Sphinx compares config values by repr to decide whether to rebuild everything.
        return "tutorial_helpers.sphinxext.reports.ReportScraper()"

    def __call__(self, block, block_vars: dict, gallery_conf: dict) -> str:
        lesson_dir = Path(block_vars["src_file"]).parent
        reports = sorted(
            (p for p in lesson_dir.glob("*.html") if is_performance_report(p)),
            key=lambda p: p.stat().st_mtime,
        )
        if not reports:
            return ""
        # Not taken from the image path iterator: sphinx-gallery checks that each path it hands
        # out becomes an image file, and an HTML page is not one.
        images_dir = Path(block_vars["image_path_iterator"].image_path).parent
        page_dir = Path(block_vars["target_file"]).parent
        stem = Path(block_vars["src_file"]).stem
        rst = ""
        for report in reports:
            block_vars[_SEEN_KEY] = block_vars.get(_SEEN_KEY, 0) + 1
            target = images_dir / f"sphx_glr_{stem}_report_{block_vars[_SEEN_KEY]:03}.html"
            target.write_bytes(scrub(report.read_bytes()))
            report.unlink()
            url = Path(os.path.relpath(target, page_dir)).as_posix()
            rst += report_rst(url, f"Dask performance report ({report.name}) written by this code")
        return rst


scraper = ReportScraper()


def gallery_report_files(root: Path) -> list[Path]:
    """Every performance report the lessons of the gallery at ``root`` left in their images folders."""
    return sorted(Path(root).glob("**/images/sphx_glr_*_report_*.html"))


def copy_reports(app, exception) -> None:
    """Sphinx ``build-finished`` hook: put each report next to its page in the HTML output."""
    if exception is not None or app.builder.format != "html":
        return
    srcdir = Path(app.srcdir)
    for path in gallery_report_files(gallery_root(app.config.sphinx_gallery_conf, srcdir)):
        target = Path(app.outdir) / path.relative_to(srcdir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


