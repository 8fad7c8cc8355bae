"""The graph scraper, driven the way sphinx-gallery drives it (cf. its tests/test_scrapers.py)."""

from pathlib import Path

import dask
import dask.array as da
import dask.dot
import pytest
from sphinx_gallery.py_source_parser import Block
from sphinx_gallery.scrapers import ImagePathIterator, save_figures

from tutorial_helpers.sphinxext import graphs


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """A lesson 'running' in tmp_path/src, with graph capture on, as during a build."""
    src = tmp_path / "src"
    src.mkdir()
    (tmp_path / "images").mkdir()
    monkeypatch.chdir(src)
    gallery_conf = {"src_dir": str(tmp_path), "image_scrapers": (graphs.scraper,)}
    graphs.reset_capture(gallery_conf, "plot_x.py", "before")
    yield gallery_conf, ImagePathIterator(tmp_path / "images" / "sphx_glr_plot_x_{0:03}.png")
    graphs.reset_capture(gallery_conf, "plot_x.py", "after")


def run_block(code, gallery_conf, image_paths):
    namespace = {"da": da, "dask": dask}
    exec(code, namespace)
    block = Block("code", code, 1)
    return save_figures(block, {"image_path_iterator": image_paths}, gallery_conf)


def test_visualize_becomes_an_svg_under_its_block(lesson, tmp_path):
    gallery_conf, image_paths = lesson
    rst = run_block("x = da.ones((4, 4), chunks=2).sum()\nx.visualize()", gallery_conf, image_paths)
    (svg_path,) = [p.replace(".png", ".svg") for p in image_paths.paths]
    svg = Path(svg_path).read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "images/sphx_glr_plot_x_001.svg" in rst
    assert ":alt: Dask graph drawn by x.visualize()" in rst
    assert list((tmp_path / "src").iterdir()) == [], "visualize wrote into the lesson's folder"


def test_one_image_per_graph_and_none_without_graphs(lesson):
    gallery_conf, image_paths = lesson
    assert run_block("y = 1 + 1", gallery_conf, image_paths) == ""
    rst = run_block(
        "a = da.ones(4, chunks=2)\na.visualize()\ndask.visualize(a.sum())", gallery_conf, image_paths
    )
    assert len(image_paths) == 2
    assert rst.count(".. image-sg::") == 2


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
        ("g = make()\ng", "Dask graph"),
    ],
)
def test_alt_text_names_the_call(code, expected):
    assert graphs.alt_text(code) == expected
