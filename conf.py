# Sphinx configuration of the Dask course. Settings only: behaviour lives in tutorial_helpers.
import warnings

# -- Project ---------------------------------------------------------------------------------
project = "Scaling pandas and NumPy with Dask"
author = "The Dask course authors"
copyright = "2026, the Dask course authors"

# -- General ---------------------------------------------------------------------------------
extensions = [
    "myst_nb",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "sphinx_design",
    "tutorial_helpers.cluster",  # one Dask cluster for the whole build, closed at its end
    "tutorial_helpers.staleness",  # re-run lessons when helpers, data or libraries change
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
]
# Deprecations from the libraries the course teaches fail the build instead of scrolling by.
warnings.filterwarnings("error", category=FutureWarning)

# -- myst-nb -----------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
nb_execution_mode = "auto"  # pages whose cells carry no stored output are executed at build time
nb_execution_raise_on_error = True
nb_execution_timeout = 120

# -- sphinx-gallery ----------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "lessons",  # generated; git-ignored, never written into examples/
    "filename_pattern": r"/plot_",  # every lesson runs at build time
    "within_subsection_order": "FileNameSortKey",  # plot_01_..., plot_02_... set the course order
    # A lesson that raises is a broken lesson: stop the build instead of rendering a traceback.
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib", "tutorial_helpers.graphs.scraper"),
    # Run before AND after each lesson: the Dask reset must undo what a lesson changed.
    "reset_modules": (
        "matplotlib",
        "tutorial_helpers.cluster.reset_lesson",
        "tutorial_helpers.graphs.reset_capture",
    ),
    "reset_modules_order": "both",
    # `.visualize()` returns an IPython image or a graphviz object; the graph scraper shows the
    # picture instead of their reprs.
    "ignore_repr_types": r"IPython\.core\.display\.(SVG|Image)|graphviz\.graphs\.Digraph",
    "capture_repr": ("_repr_html_", "__repr__"),
    "remove_config_comments": True,
    "download_all_examples": True,
    "min_reported_time": 0,
    "show_memory": True,  # peak memory of each lesson in the build process (memory_profiler)
}

# -- HTML output -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = project
html_static_path = []
html_extra_path = ["docs/_root"]  # index.html at the site root, pointing to the home page
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
}

# -- sphinx-copybutton -------------------------------------------------------------------------
copybutton_exclude = ".linenos, .gp, .go"
