"""Scaffolding for the Dask course: the trip data, the build cluster, graph capture and timings.

Lessons import only what a learner would need too (``tutorial_helpers.bikes`` to find the data,
``tutorial_helpers.timing`` to compare alternatives honestly); the rest serves the Sphinx build.
"""
