"""
A tiny lesson
=============

A sum of ones, its graph, and an exercise whose solution is collapsed.
"""

# %%
# A graph
# -------
# Each chunk is summed, then the sums.
import dask.array as da

x = da.ones((4, 4), chunks=2).sum()
x.visualize()

# %%
# On threads
# ----------
x.compute(scheduler="threads")

# %%
# Exercise
# --------
# Sum the ones of a 6 × 6 array, in chunks of 3.
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       da.ones((6, 6), chunks=3).sum().compute(scheduler="threads")
