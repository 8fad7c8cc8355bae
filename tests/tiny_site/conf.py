# A tiny course site for tests/test_extension.py: the course's Sphinx extension on one small
# lesson, built in seconds (the way sphinx-gallery tests itself with its tinybuild). Settings
# mirror the course's conf.py where the extension reads them.
extensions = ["myst_parser", "sphinx_gallery.gen_gallery", "sphinx_design", "tutorial_helpers.sphinxext"]
root_doc = "index"
nitpicky = True
exclude_patterns = ["_build", "examples", "lessons/**/*.ipynb"]
html_baseurl = "https://example.org/tiny-course/"
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "lessons",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "image_scrapers": ("tutorial_helpers.sphinxext.graphs.scraper",),
    "reset_modules": ("tutorial_helpers.sphinxext.cluster.reset_lesson",
                      "tutorial_helpers.sphinxext.graphs.reset_capture"),
    "reset_modules_order": "both",
    "ignore_repr_types": r"IPython\.core\.display\.(SVG|Image)|graphviz\.graphs\.Digraph",
    "capture_repr": ("_repr_html_", "__repr__"),
    "download_all_examples": True,
    "write_computation_times": False,
}
