# Sphinx configuration of the Dask course. Settings only: behaviour lives in tutorial_helpers.sphinxext.
import os
import warnings

from tutorial_helpers.sphinxext.memory import PeakMemory

# -- Project ---------------------------------------------------------------------------------
project = "Scaling pandas and NumPy with Dask"
author = "The Dask course authors"
copyright = "2026, the Dask course authors"

# -- General ---------------------------------------------------------------------------------
extensions = [
    "myst_nb",
    "sphinx.ext.intersphinx",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_design",
    # The build's Dask cluster, scrapers' companions, staleness check, the course wheel in the site
    # and the notebooks' first cell: one extension, its hooks wired in its setup().
    "tutorial_helpers.sphinxext",
]
root_doc = "docs/index"
nitpicky = True
nitpick_ignore = []
# conf.py sits at the repository root, so everything that is not a page must be excluded,
# or Sphinx reads site-packages' and the tests' files as documents.
exclude_patterns = [
    ".venv",
    ".ci",
    "_build",
    "data",
    "src",
    "tests",
    "examples",
    "benchmarks",
    "README.md",
    "lessons/**/*.ipynb",  # sphinx-gallery's notebooks: downloads, not pages for myst-nb to run
    ".pytest_cache",
    "**/.pytest_cache",
    "docs/_root",
    "docs/_static",
    "**sg_execution_times.rst",  # left by builds before write_computation_times was turned off
]
# Deprecations from the libraries the course teaches fail the build instead of scrolling by.
warnings.filterwarnings("error", category=FutureWarning)

# -- myst-nb -----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
nb_execution_mode = "auto"  # pages whose cells carry no stored output are executed at build time
nb_execution_raise_on_error = True
nb_execution_timeout = 120

# -- intersphinx -------------------------------------------------------------------------------
# Where the libraries' API docs are: sphinx-gallery links names in lesson code (`dd.read_csv`,
# `Client`, ...) to them through these inventories (its own `reference_url` is deprecated and
# ignored since 0.22). Each project also names an empty local inventory as a second location.
# Sphinx 9 reports an inventory it cannot reach as an untyped warning ("failed to reach any of
# the inventories"), which `suppress_warnings` cannot target and `-W` turns into an error; when a
# project has a location that loads, the failures are logged at info level only. So an offline
# build (the build machine and CI have no network) reads the empty one, succeeds and simply has
# no API links; an online build reads the real one first.
_OFFLINE = "docs/_intersphinx/empty-objects.inv"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", (None, _OFFLINE)),
    "numpy": ("https://numpy.org/doc/stable/", (None, _OFFLINE)),
    "pandas": ("https://pandas.pydata.org/docs/", (None, _OFFLINE)),
    "dask": ("https://docs.dask.org/en/stable/", (None, _OFFLINE)),
    "distributed": ("https://distributed.dask.org/en/stable/", (None, _OFFLINE)),
    "matplotlib": ("https://matplotlib.org/stable/", (None, _OFFLINE)),
}
# Re-fetch the real inventories on every build. A cached one within the limit is not fetched
# again, and then the local empty location is read and replaces it: with the default 5 days an
# incremental online build would lose its links.
intersphinx_cache_limit = 0
# Seconds per connection attempt: an unreachable host costs at most this (the six fetches run in
# parallel), not the operating system's minutes-long TCP timeout. Name lookups are not covered.
intersphinx_timeout = 5

# -- sphinx-gallery ----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "lessons",  # generated; git-ignored, never written into examples/
    "filename_pattern": r"/plot_",  # every lesson runs at build time
    "within_subsection_order": "FileNameSortKey",  # plot_01_..., plot_02_... set the course order
    # A lesson that raises is a broken lesson: stop the build instead of rendering a traceback.
    "abort_on_example_error": True,
    "image_scrapers": (
        "matplotlib",
        "tutorial_helpers.sphinxext.graphs.scraper",
        "tutorial_helpers.sphinxext.reports.scraper",
        # Not an image: after an exercise's check cell, the reference solution goes through the check.
        "tutorial_helpers.sphinxext.exercises.scraper",
    ),
    # Batch scripts beside the lessons are shown by literalinclude, not pages of their own.
    "ignore_pattern": r"__init__\.py|bikes_batch\.py|bikes_mpi\.py|bikes_jobqueue\.py",
    # Run before AND after each lesson: the Dask reset must undo what a lesson changed.
    "reset_modules": (
        "matplotlib",
        "tutorial_helpers.sphinxext.cluster.reset_lesson",
        "tutorial_helpers.sphinxext.graphs.reset_capture",
    ),
    "reset_modules_order": "both",
    # `.visualize()` returns an IPython image or a graphviz object; the graph scraper shows the
    # picture instead of their reprs.
    "ignore_repr_types": r"IPython\.core\.display\.(SVG|Image)|graphviz\.graphs\.Digraph",
    "capture_repr": ("_repr_html_", "__repr__"),
    "remove_config_comments": True,
    "download_all_examples": True,
    # Which lessons use which function of these libraries: lesson-by-API lists for docs/api.md
    # (minigallery) and the cheat sheet. Generated, like the lessons, and git-ignored.
    "doc_module": ("dask", "distributed"),
    "backreferences_dir": "lessons/api",
    # "Related lessons" at the end of each lesson: the three closest by their words (TF-IDF).
    "recommender": {"enable": True, "n_examples": 3, "rubric_header": "Related lessons"},
    # Its sg_execution_times pages load jQuery and DataTables from a CDN: console errors, and
    # no sortable table, wherever the site is read offline. Each lesson states its own time.
    "write_computation_times": False,
    "min_reported_time": 0,
    # Peak RSS of the build process plus its Dask workers, sampled on a thread: memory_profiler
    # forks the threaded build and sees no workers; a plain function cannot be cached by Sphinx.
    "show_memory": PeakMemory(),
    # "first_notebook_cell" is set by tutorial_helpers.sphinxext from html_baseurl: it installs the
    # course package from the site the notebook was downloaded from.
}

# -- HTML output -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = project
html_favicon = "docs/_static/favicon.svg"  # without one, every page's /favicon.ico is a console 404
html_static_path = ["docs/_static"]
html_js_files = ["accessibility.js"]  # names axe-core found missing (lesson cards, sidebar toggles)
html_extra_path = ["docs/_root"]  # index.html at the site root, pointing to the home page
# The published site's address, e.g. https://example.org/dask-course/: downloaded notebooks
# install the course package from there. Unset, they point learners to the Setting up page.
html_baseurl = os.environ.get("DASK_COURSE_SITE_URL", "")
html_show_sourcelink = False  # a lesson's source is its .py download, not the generated .rst
html_theme_options = {
    "logo": {"text": "Scaling with Dask"},  # the full title does not fit beside the navbar links
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "navigation_with_keys": False,
    "show_prev_next": True,  # previous/next follow the toctree: home, set-up, lessons in order
    # A lesson's downloads stay in view beside its table of contents, not only at its end
    # (sphinx-gallery's component shows nothing on pages that have no downloads). Not on the
    # lessons index, where it would label the all-lessons zips "source code" and "notebook".
    "secondary_sidebar_items": {"**": ["page-toc", "sg_download_links"], "lessons/index": ["page-toc"]},
}
# The pages under docs/ have no sections to navigate: their code gets the width instead.
html_sidebars = {"docs/*": []}
html_context = {
    # Light, dark or the reader's system setting (the switcher in the navbar). Unset, the
    # theme logs "Got invalid theme mode" as a console error on a first visit.
    "default_mode": "auto",
}

# -- sphinx-copybutton -------------------------------------------------------------------------
# A copy button on every block a learner copies from: lesson code, code blocks in the text and
# myst-nb input cells. Not on outputs: sphinx-gallery puts them in `div.sphx-glr-script-out`,
# myst-nb in `div.output`; a button there would copy a printout as if it were code.
copybutton_selector = ":not(.sphx-glr-script-out):not(.output) > div.highlight pre"
# Never copy prompts or the output lines of a console session: `>>> `/`... ` (Python) and `$ `
# (shell) prompts are stripped, and in a block that has prompts only the prompted lines are kept.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_exclude = ".linenos, .gp, .go"
