"""Task graphs on lesson pages: a sphinx-gallery image scraper for Dask's ``.visualize()``.

Every Dask ``visualize`` (collections, ``dask.visualize``, expression and high-level graphs)
renders through ``dask.dot.graphviz_to_file``. During a build, :func:`reset_capture` routes that
function to an in-memory SVG instead of a file in the lesson's source folder, and :data:`scraper`
writes each SVG drawn by a code block into the page, right under that block, with alt text
naming the call. A learner's ``x.visualize()`` is all a lesson needs.
"""

from __future__ import annotations

import re
from pathlib import Path

import dask.dot
from IPython.display import SVG
from sphinx_gallery.scrapers import figure_rst

_drawn_svgs: list[bytes] = []
_write_graph_file = dask.dot.graphviz_to_file
_VISUALIZE_CALL = re.compile(r"[\w.\[\]\"'()]*\.visualize\([^\n]*\)|dask\.visualize\([^\n]*\)")


def _draw_in_memory(graph, filename, format):
    """Stand-in for ``dask.dot.graphviz_to_file`` during a build: keep the SVG, write no file."""
    svg = graph.pipe(format="svg")
    _drawn_svgs.append(svg)
    return SVG(data=svg)


def reset_capture(gallery_conf: dict, fname: str | None, when: str) -> None:
    """sphinx-gallery ``reset_modules`` hook: capture graphs while a lesson runs, and only then."""
    _drawn_svgs.clear()
    dask.dot.graphviz_to_file = _draw_in_memory if when == "before" else _write_graph_file


def alt_text(code: str) -> str:
    """Alt text for the graphs a code block drew, from the ``visualize`` calls in it."""
    calls = [call.strip() for call in _VISUALIZE_CALL.findall(code)]
    if not calls:
        return "Dask graph"
    return "Dask graph drawn by " + ", ".join(f"{call}" for call in calls)


class GraphScraper:
    """Writes the SVG graphs a code block drew into the example's images folder."""

    def __repr__(self) -> str:
        # Sphinx compares config values by repr to decide whether to rebuild everything.
        return "tutorial_helpers.sphinxext.graphs.GraphScraper()"

    def __call__(self, block, block_vars: dict, gallery_conf: dict) -> str:
        if not _drawn_svgs:
            return ""
        paths = []
        for svg in _drawn_svgs:
            path = Path(next(block_vars["image_path_iterator"])).with_suffix(".svg")
            path.write_bytes(svg)
            paths.append(path)
        _drawn_svgs.clear()
        return figure_rst(paths, gallery_conf["src_dir"], fig_titles=alt_text(block.content))


scraper = GraphScraper()
