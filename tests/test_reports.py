"""The performance-report scraper, driven the way sphinx-gallery drives it (cf. tests/test_graphs.py)."""

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import dask
import dask.array as da
import distributed
import pytest
from sphinx_gallery.py_source_parser import Block
from sphinx_gallery.scrapers import ImagePathIterator, save_figures

from tutorial_helpers.sphinxext import reports

FAKE_REPORT = (
    '<!DOCTYPE html>\n<html lang="en">\n  <head>\n    <meta charset="utf-8">\n'
    "    <title>Dask Performance Report</title>\n"
    '<link rel="shortcut icon" href="https://docs.dask.org/en/latest/_static/images/favicon.ico" />\n'
    "  </head><body>report {n}</body></html>\n"
)


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """A lesson 'running' in tmp_path/examples/topic, its page going to tmp_path/lessons/topic."""
    src = tmp_path / "examples" / "topic"
    page_dir = tmp_path / "lessons" / "topic"
    src.mkdir(parents=True)
    (page_dir / "images").mkdir(parents=True)
    monkeypatch.chdir(src)
    gallery_conf = {"src_dir": str(tmp_path), "image_scrapers": (reports.scraper,)}
    block_vars = {
        "src_file": str(src / "plot_x.py"),
        "target_file": str(page_dir / "plot_x.py"),
        "image_path_iterator": ImagePathIterator(page_dir / "images" / "sphx_glr_plot_x_{0:03}.png"),
    }
    return gallery_conf, block_vars, src, page_dir


def run_block(code, gallery_conf, block_vars):
    exec(code, {"Path": Path, "da": da, "dask": dask, "distributed": distributed, "FAKE_REPORT": FAKE_REPORT})
    return save_figures(Block("code", code, 1), block_vars, gallery_conf)


@pytest.mark.slow  # starts a Dask cluster
def test_a_real_report_moves_out_of_the_sources_into_an_iframe(lesson):
    gallery_conf, block_vars, src, page_dir = lesson
    code = (
        "with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol='tcp',\n"
        "                              host='127.0.0.1', dashboard_address='127.0.0.1:0') as cluster, \\\n"
        "        distributed.Client(cluster):\n"
        "    with distributed.performance_report(filename='dask-report.html', mode='inline'):\n"
        "        da.ones((100, 100), chunks=10).sum().compute()\n"
    )
    rst = run_block(code, gallery_conf, block_vars)
    assert list(src.iterdir()) == [], "the report stayed in the lesson's source folder"
    (report,) = (page_dir / "images").glob("*.html")
    assert report.name == "sphx_glr_plot_x_report_001.html"
    text = report.read_text()
    assert "Dask Performance Report" in text and report.stat().st_size > 100_000
    assert not re.search(r"<script[^>]+src=[\"']?https?:", text), "the report loads scripts from the web"
    assert "docs.dask.org/en/latest/_static/images/favicon.ico" not in text
    # The build's addresses, ports and paths stay out of the page (the workers are address-N).
    assert "address-1" in text
    assert not re.search(r"(?:tcp|inproc)://|127\.0\.0\.1:[1-9]|" + re.escape(sys.prefix), text)
    assert '<iframe src="images/sphx_glr_plot_x_report_001.html"' in rst
    assert '<a href="images/sphx_glr_plot_x_report_001.html"' in rst
    assert rst.lstrip().startswith(".. raw:: html")
    assert len(block_vars["image_path_iterator"]) == 0, "no image path is used up"


def test_scrub_renames_addresses_and_threads_and_cuts_paths():
    report = (b'"tcp://127.0.0.1:41419" "tcp://127.0.0.1:41419-139828061271744" "tls://10.1.2.3:8786" '
              b'"/home/me/.venv/lib/python3.11/site-packages/dask/base.py" "/usr/lib/python3.12/threading.py" '
              b'"tcp://127.0.0.1:41419-139828052879040"')
    assert reports.scrub(report) == (
        b'"address-1" "address-1-thread-1" "address-2" "site-packages/dask/base.py" "python3.12/threading.py" '
        b'"address-1-thread-2"')


def test_reports_are_numbered_across_blocks_and_other_html_stays(lesson):
    gallery_conf, block_vars, src, page_dir = lesson
    assert run_block("x = 1", gallery_conf, block_vars) == ""
    (src / "notes.html").write_text("<html><title>Not a report</title></html>")
    rst = run_block("Path('a.html').write_text(FAKE_REPORT.format(n=1))", gallery_conf, block_vars)
    assert rst.count("<iframe") == 1
    rst = run_block(
        "Path('a.html').write_text(FAKE_REPORT.format(n=2))\nPath('b.html').write_text(FAKE_REPORT.format(n=3))",
        gallery_conf, block_vars,
    )
    assert rst.count("<iframe") == 2
    names = sorted(p.name for p in (page_dir / "images").glob("*.html"))
    assert names == [f"sphx_glr_plot_x_report_00{i}.html" for i in (1, 2, 3)]
    assert "report 1" in (page_dir / "images" / names[0]).read_text()
    assert [p.name for p in src.iterdir()] == ["notes.html"]


def test_copy_reports_puts_them_next_to_their_pages(tmp_path):
    images = tmp_path / "lessons" / "topic" / "images"
    images.mkdir(parents=True)
    (images / "sphx_glr_plot_x_report_001.html").write_text(FAKE_REPORT.format(n=1))
    (images / "sphx_glr_plot_x_001.png").write_bytes(b"png")
    app = SimpleNamespace(
        srcdir=str(tmp_path), outdir=str(tmp_path / "_build" / "html"),
        builder=SimpleNamespace(format="html"),
        config=SimpleNamespace(sphinx_gallery_conf={"gallery_dirs": "lessons"}),
    )
    reports.copy_reports(app, None)
    copied = list((tmp_path / "_build" / "html").rglob("*.*"))
    assert [p.relative_to(tmp_path / "_build" / "html").as_posix() for p in copied] == [
        "lessons/topic/images/sphx_glr_plot_x_report_001.html"
    ]
    app.builder.format = "latex"
    app.outdir = str(tmp_path / "_build" / "latex")
    reports.copy_reports(app, None)
    assert not (tmp_path / "_build" / "latex").exists()


def test_scraper_repr_is_stable():
    assert repr(reports.scraper) == repr(reports.ReportScraper()) == "tutorial_helpers.sphinxext.reports.ReportScraper()"
