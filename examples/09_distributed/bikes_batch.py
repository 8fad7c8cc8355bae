"""
The bikes analysis as a batch script
====================================

A script to run, not a lesson: the course's bikes analysis (busiest stations, ride length
by user type, trips per hour) on a ``LocalCluster`` whose size you give on the command line,
the way a batch job runs it::

    python bikes_batch.py --workers 2 --threads 1
    python bikes_batch.py --workers 8 --threads 2 --months 12 --memory-limit 4GiB

It prints its results and how long the analysis took, without the cluster's start-up. The
lesson "Processes or threads?" of section 9 explains how to choose the sizes.
"""

import argparse
import sys
import time

import dask
import dask.dataframe as dd
from distributed import Client, LocalCluster

from tutorial_helpers import bikes

TRIP_DTYPES = {"birth year": "float64", "end station id": "float64"}


def analyse(files):
    """The course's three questions, answered in one pass over the files."""
    trips = dd.read_csv(files, dtype=TRIP_DTYPES, parse_dates=["starttime", "stoptime"])
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    trips_per_station = clean["start station name"].value_counts(split_out=1)
    minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
    trips_per_hour = clean["starttime"].dt.hour.value_counts(split_out=1)
    return dask.compute(trips_per_station, minutes_by_usertype, trips_per_hour)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The bikes analysis on a LocalCluster of the size you give.")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    parser.add_argument("--memory-limit", default="auto",
                        help="per worker, e.g. 4GiB (default: RAM / workers)")
    parser.add_argument("--months", type=int, default=12, help="how many monthly files to read (default 12)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    files = bikes.trip_files()[: args.months]
    with LocalCluster(
        n_workers=args.workers,
        threads_per_worker=args.threads,
        memory_limit=args.memory_limit,
        host="127.0.0.1",  # only this machine can connect
        dashboard_address="127.0.0.1:0",  # dashboard on loopback, any free port
    ) as cluster, Client(cluster) as client:
        try:  # the workers read the files themselves: can they all see them?
            bikes.check_workers_see_data(client, files)
        except FileNotFoundError as error:
            sys.exit(f"bikes_batch.py: {error}")
        start = time.perf_counter()
        trips_per_station, minutes_by_usertype, trips_per_hour = analyse(files)
        seconds = time.perf_counter() - start

    print("Busiest start stations:")
    print(trips_per_station.nlargest(10).to_string(), end="\n\n")
    print("Mean trip duration (minutes) by user type:")
    print(minutes_by_usertype.round(2).to_string(), end="\n\n")
    print("Trips by starting hour:")
    print(trips_per_hour.sort_index().to_string(), end="\n\n")
    print(f"{len(files)} monthly files on {args.workers} worker(s) × {args.threads} thread(s): "
          f"analysis took {seconds:.2f} s (cluster start-up not included)")


if __name__ == "__main__":
    main()
