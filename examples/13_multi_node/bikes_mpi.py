"""
Bike trips on a Dask cluster that MPI starts
============================================

A script, not a lesson page: run it with ``mpirun -n 4 python bikes_mpi.py`` (or more ranks,
on as many nodes as your batch job has). Every MPI rank runs this same file. ``initialize()``
turns rank 0 into the Dask scheduler and ranks 2, 3, ... into workers, which stay inside it
until the work is done; rank 1 alone returns from it and runs the rest of the script as the
client. When the client finishes, the scheduler and workers shut down and ``mpirun`` returns.

``--interface`` names the network the Dask services listen on: ``lo`` (loopback, the default)
keeps everything on one machine; on a cluster, give the nodes' fast network, e.g.
``--interface ib0`` for InfiniBand. ``--memory-limit`` is each worker's limit: a little under
the memory per core your job asked for (each worker has one thread, on one core), so that Dask
spills to disk before the batch system kills the job. The workers read the trip files themselves, so the data
(``DASK_COURSE_DATA``) must be on a filesystem that every node sees.
"""

import argparse
import logging
import sys

import dask
import dask.dataframe as dd
from dask_mpi import initialize
from distributed import Client
from mpi4py import MPI

from tutorial_helpers import bikes

parser = argparse.ArgumentParser(description="The bikes analysis on a cluster from MPI ranks.")
parser.add_argument("--interface", default="lo", help="network: lo (default), eth0, ib0, ...")
parser.add_argument("--memory-limit", default="auto",
                    help="per worker, e.g. 1800MiB (default auto: a share of this machine's memory)")
args = parser.parse_args()

# Each rank's Dask services would log every start, connection and shutdown (about 100 lines,
# and "CommClosedError" tracebacks as the ranks stop): keep only the errors that matter.
logging.getLogger("distributed").setLevel(logging.ERROR)

# The dashboard listens on the scheduler's node only, on a free port its log names:
# reach it through an SSH tunnel.
initialize(interface=args.interface, dashboard_address="127.0.0.1:0", memory_limit=args.memory_limit)

# Only rank 1 gets here. Client() finds the scheduler that initialize() started.
with Client() as client:
    n_workers = MPI.COMM_WORLD.Get_size() - 2  # all ranks but the scheduler and this one
    client.wait_for_workers(n_workers, timeout=120)
    print(f"Connected to {client.scheduler.address} with {n_workers} workers")
    files = bikes.trip_files()
    try:  # the workers, on other nodes, read the files themselves: can they all see them?
        bikes.check_workers_see_data(client, files)
    except FileNotFoundError as error:
        sys.exit(f"bikes_mpi.py: {error}")

    trips = dd.read_csv(
        files, dtype={"birth year": "float64", "end station id": "float64"}
    )
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    n_trips, busiest, minutes = dask.compute(  # one pass over the files for all three
        clean.shape[0],
        clean["start station name"].value_counts().nlargest(5),
        clean.groupby("usertype")["tripduration"].mean() / 60,
    )

print(f"Trips after cleaning: {n_trips}")
print("Busiest start stations:")
print(busiest.to_string(header=False))
print("Average minutes by user type:")
print(minutes.round(2).to_string(header=False))
