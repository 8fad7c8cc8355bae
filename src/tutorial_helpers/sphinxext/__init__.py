"""The Sphinx extension that builds the course site; conf.py lists it once.

Learners never import this subpackage: it needs Sphinx and sphinx-gallery, which only the
``docs`` extra installs. Its modules, one job each:

- ``cluster``: a clean start for every lesson, each on the cluster it makes in view;
- ``stamps``: the note on each page of where and with which versions its outputs were computed;
- ``graphs`` and ``reports``: sphinx-gallery scrapers for task graphs and Dask performance reports;
- ``staleness``: re-run lessons when helpers, data, libraries or the cluster change;
- ``memory``: each lesson's peak memory, for sphinx-gallery's ``show_memory``;
- ``course_package``: the course's wheel and notebooks' zip in the site, and the notebooks' first cell;
- ``notebooks``: the notebooks' Markdown made from the lessons' reST (solutions collapsed, links);
- ``teaching``: the ``course-schedule`` directive, workshop plans timed by the lessons' estimates;
- ``exercises``: each exercise's reference solution through the learner's check, in the build;
- ``gallery``: what these share about the gallery.

:func:`setup` connects every hook, and the order they run in, in one place.
"""

from __future__ import annotations

from tutorial_helpers.sphinxext import cluster, course_package, notebooks, reports, staleness, stamps, teaching


def setup(app):
    app.add_directive("course-schedule", teaching.CourseSchedule)
    # config-inited: before sphinx-gallery fills in its defaults (priority 10).
    app.connect("config-inited", course_package.set_first_notebook_cell, priority=5)
    # builder-inited, before sphinx-gallery runs the lessons (priority 500): fail fast with one
    # line if lessons cannot run (and make the data on first use), then drop stale lesson caches.
    app.connect("builder-inited", cluster.check_before_lessons, priority=300)
    app.connect("builder-inited", staleness.rerun_lessons_if_stale, priority=400)
    app.connect("builder-inited", course_package.put_wheel_in_site)
    app.connect("source-read", stamps.add_stamp)
    # env-updated: every page read (labels, terms known), notebooks not yet copied to _downloads.
    app.connect("env-updated", notebooks.convert_lesson_notebooks)
    # build-finished: close what lessons left open before sphinx-gallery's own handler raises on failed lessons.
    app.connect("build-finished", cluster.close_lesson_clusters, priority=100)
    app.connect("build-finished", reports.copy_reports)
    app.connect("build-finished", course_package.put_notebooks_in_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
