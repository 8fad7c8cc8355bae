"""What the Dask course's lessons import: the trip data, honest timings and the cores a job may use.

``tutorial_helpers.bikes`` finds (and on first use makes) the course data, ``tutorial_helpers.timing``
compares alternatives and prints what it measured, ``tutorial_helpers.cores`` tells how many cores a
job was granted. These need only the packages the course's *Setting up* page installs.

``tutorial_helpers.sphinxext`` is the other half: the Sphinx extension that builds the course site
(its Dask cluster, graph and report scrapers, staleness check, peak memory). Learners never import it.
"""
