"""The graph scraper, driven the way sphinx-gallery drives it (cf. its tests/test_scrapers.py)."""

import os
from pathlib import Path

import dask
import dask.array as da
import dask.dot
import pytest
from bs4 import BeautifulSoup
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace
from sphinx_gallery.py_source_parser import Block
from sphinx_gallery.scrapers import ImagePathIterator, save_figures

from tutorial_helpers.sphinxext import graphs


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """A lesson 'running' in tmp_path/examples/topic, with graph capture on, as during a build;
    its page goes to tmp_path/lessons/topic, its images to that folder's images/."""
    src = tmp_path / "examples" / "topic"
    page_dir = tmp_path / "lessons" / "topic"
    src.mkdir(parents=True)
    (page_dir / "images").mkdir(parents=True)
    monkeypatch.chdir(src)
    gallery_conf = {"src_dir": str(tmp_path), "image_scrapers": (graphs.scraper,), "builder_name": "html"}
    block_vars = {
        "target_file": str(page_dir / "plot_x.py"),
        "image_path_iterator": ImagePathIterator(page_dir / "images" / "sphx_glr_plot_x_{0:03}.png"),
    }
    graphs.reset_capture(gallery_conf, "plot_x.py", "before")
    yield gallery_conf, block_vars
    graphs.reset_capture(gallery_conf, "plot_x.py", "after")


def run_block(code, gallery_conf, block_vars):
    namespace = {"da": da, "dask": dask}
    exec(code, namespace)
    block = Block("code", code, 1)
    return save_figures(block, block_vars, gallery_conf)


def build_page(tmp_path, rst: str) -> BeautifulSoup:
    """The HTML Sphinx makes of a lesson page holding ``rst`` (sphinx-gallery's image directive only)."""
    (tmp_path / "conf.py").write_text('extensions = ["sphinx_gallery.load_style"]\nexclude_patterns = ["_build", "examples"]\n')
    (tmp_path / "index.rst").write_text("Course\n======\n\n.. toctree::\n\n   lessons/topic/plot_x\n")
    (tmp_path / "lessons" / "topic" / "plot_x.rst").write_text("A lesson\n========\n" + rst)
    out = tmp_path / "_build" / "html"
    with docutils_namespace(), open(os.devnull, "w") as quiet:  # docutils' registry restored after
        app = Sphinx(tmp_path, tmp_path, out, tmp_path / "_build" / "doctrees", "html",
                     status=quiet, warning=quiet, warningiserror=True)
        app.build()
    assert app.statuscode == 0
    return BeautifulSoup((out / "lessons" / "topic" / "plot_x.html").read_text(), "html.parser")


def test_visualize_becomes_an_svg_under_its_block(lesson, tmp_path):
    gallery_conf, block_vars = lesson
    rst = run_block("x = da.ones((4, 4), chunks=2).sum()\nx.visualize()", gallery_conf, block_vars)
    (svg_path,) = [p.replace(".png", ".svg") for p in block_vars["image_path_iterator"].paths]
    svg = Path(svg_path).read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ".. image-sg:: /lessons/topic/images/sphx_glr_plot_x_001.svg" in rst
    assert ":alt: Dask graph drawn by x.visualize()" in rst
    assert list((tmp_path / "examples" / "topic").iterdir()) == [], "visualize wrote into the lesson's folder"


def test_one_image_per_graph_and_none_without_graphs(lesson):
    gallery_conf, block_vars = lesson
    assert run_block("y = 1 + 1", gallery_conf, block_vars) == ""
    rst = run_block("a = da.ones(4, chunks=2)\na.visualize()\ndask.visualize(a.sum())", gallery_conf, block_vars)
    assert len(block_vars["image_path_iterator"]) == 2
    assert rst.count(".. image-sg::") == 2


def test_each_graph_opens_full_size_in_a_new_tab(lesson, tmp_path):
    gallery_conf, block_vars = lesson
    rst = run_block("a = da.ones(4, chunks=2)\na.visualize()\na.sum().visualize(rankdir=\"LR\")",
                    gallery_conf, block_vars)
    page = build_page(tmp_path, rst)
    images = page.select('img[src$=".svg"]')
    assert len(images) == 2
    for n, img in enumerate(images, start=1):
        link = img.parent
        assert link.name == "a" and link["target"] == "_blank" and "noopener" in link["rel"]
        assert link["href"] == img["src"] == f"../../_images/sphx_glr_plot_x_{n:03}.svg"
        assert (tmp_path / "_build" / "html" / "_images" / f"sphx_glr_plot_x_{n:03}.svg").is_file()
        # One under the other, each as wide as the column allows; not sphinx-gallery's 42 % side by side.
        assert img["class"] == ["sphx-glr-single-img"]
    assert [img["alt"] for img in images] == [
        "Dask graph drawn by a.visualize(), a.sum().visualize(rankdir='LR')"] * 2


def test_the_link_follows_the_page_depth_and_builder(tmp_path):
    image = tmp_path / "lessons" / "topic" / "images" / "sphx_glr_plot_x_001.svg"
    html_rst = graphs.graph_rst(image, image.parent.parent, tmp_path, "Dask graph")
    dirhtml_rst = graphs.graph_rst(image, image.parent.parent, tmp_path, "Dask graph", "dirhtml")
    assert 'href="../../_images/sphx_glr_plot_x_001.svg"' in html_rst
    assert 'href="../../../_images/sphx_glr_plot_x_001.svg"' in dirhtml_rst


def test_capture_is_undone_after_the_lesson(lesson, tmp_path):
    gallery_conf, _ = lesson
    graphs.reset_capture(gallery_conf, "plot_x.py", "after")
    assert dask.dot.graphviz_to_file is graphs._write_graph_file
    da.ones(4, chunks=2).visualize(filename=str(tmp_path / "outside.svg"))
    assert (tmp_path / "outside.svg").exists()


def test_scraper_repr_is_stable():
    assert repr(graphs.scraper) == repr(graphs.GraphScraper()) == "tutorial_helpers.sphinxext.graphs.GraphScraper()"


@pytest.mark.parametrize(
    "code, expected",
    [
        ("df.visualize(tasks=True)", "Dask graph drawn by df.visualize(tasks=True)"),
        ("s.optimize().visualize(tasks=True)", "Dask graph drawn by s.optimize().visualize(tasks=True)"),
        ("dask.visualize(a, b)", "Dask graph drawn by dask.visualize(a, b)"),
        # Double quotes would end the <img alt="..."> attribute sphinx-gallery writes unescaped.
        ('x.visualize(rankdir="LR")', "Dask graph drawn by x.visualize(rankdir='LR')"),
        ("g = make()\ng", "Dask graph"),
    ],
)
def test_alt_text_names_the_call(code, expected):
    assert graphs.alt_text(code) == expected
