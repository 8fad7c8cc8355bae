"""Task graphs on lesson pages: a sphinx-gallery image scraper for Dask's ``.visualize()``.

Every Dask ``visualize`` (collections, ``dask.visualize``, expression and high-level graphs)
renders through ``dask.dot.graphviz_to_file``. During a build, :func:`reset_capture` routes that
function to an in-memory SVG instead of a file in the lesson's source folder, and :data:`scraper`
writes each SVG drawn by a code block into the page, right under that block, with alt text
naming the call. A learner's ``x.visualize()`` is all a lesson needs.

A wide graph is scaled down to the page's content column, so every graph is also a link that
opens the SVG full size in a new tab. Graphs are stacked one under another, each as wide as the
column allows, not side by side as sphinx-gallery lays out several figures of one block.
"""

from __future__ import annotations

import html
import re
from pathlib import Path, PurePosixPath

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


def forget_drawn_graphs() -> None:
    """Drop the graphs drawn since the last code block, unshown (code that is not the page's drew them)."""
    _drawn_svgs.clear()


def alt_text(code: str) -> str:
    """Alt text for the graphs a code block drew, from the ``visualize`` calls in it."""
    calls = [call.strip() for call in _VISUALIZE_CALL.findall(code)]
    if not calls:
        return "Dask graph"
    # sphinx-gallery writes the alt text into the <img> tag unescaped: a double quote, as in
    # rankdir="LR", would end the attribute there.
    return "Dask graph drawn by " + ", ".join(calls).replace('"', "'")


# sphinx-gallery's ``image-sg`` directive copies each image into the HTML output's ``_images``
# folder and points the ``<img>`` there; the link to open it full size points to the same file.
IMAGES_DIR = "_images"


def graph_rst(image: Path, page_dir: Path, src_dir: Path, alt: str, builder_name: str = "html") -> str:
    """reST showing one graph image, as a link that opens it full size in a new tab.

    The image as sphinx-gallery's ``figure_rst`` shows a single figure (``image-sg``, class
    ``sphx-glr-single-img``), wrapped in an ``<a>``: reST images take a ``:target:`` but no new
    tab, and sphinx-gallery's figures take neither. ``page_dir``: the folder of the page's source
    (the gallery folder of the lesson), under ``src_dir``.
    """
    depth = len(Path(page_dir).relative_to(src_dir).parts) + (builder_name == "dirhtml")
    href = html.escape(str(PurePosixPath(*[".."] * depth, IMAGES_DIR, Path(image).name)), quote=True)
    return (
        "\n.. raw:: html\n\n"
        f'    <a class="dask-graph-link" href="{href}" target="_blank" rel="noopener"'
        ' title="Open the graph full size in a new tab">\n'
        + figure_rst([image], src_dir, fig_titles=alt)
        + "\n.. raw:: html\n\n    </a>\n\n"
    )


class GraphScraper:
    """Writes the SVG graphs a code block drew into the example's images folder and shows them."""

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
        page_dir = Path(block_vars["target_file"]).parent
        alt = alt_text(block.content)
        builder = gallery_conf.get("builder_name", "html")
        return "".join(graph_rst(path, page_dir, gallery_conf["src_dir"], alt, builder) for path in paths)


scraper = GraphScraper()
