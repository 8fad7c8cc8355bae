#!/bin/bash -l
# The bikes analysis as a batch job on one node of an SGE cluster, 16 cores.
# Submit it from the folder that holds bikes_batch.py:
#     qsub job_sge_16cores.sh
#$ -N bikes-dask
#$ -pe omp 16
#$ -l mem_per_core=4G
#$ -l h_rt=01:00:00
#$ -j y
#$ -cwd

# SGE puts the number of cores it granted in NSLOTS. Split them into
# worker processes × threads per worker: 1 thread for pure-Python work,
# 2 or 4 for pandas and NumPy.
THREADS=2
WORKERS=$((NSLOTS / THREADS))
# Each worker's memory limit: its share of the memory asked for above
# (THREADS cores × 4 GB), less 10 %, so that Dask spills to disk before
# SGE kills the job for going over its request. Without it, Dask would
# assume the whole node's memory.
MEM_PER_CORE_MB=4096  # keep in step with mem_per_core above
MEMORY_LIMIT="$((THREADS * MEM_PER_CORE_MB * 9 / 10))MiB"

module load python3  # your site's Python module; the name varies
source "$HOME/dask-course/.venv/bin/activate"  # the environment with Dask

python bikes_batch.py --workers "$WORKERS" --threads "$THREADS" \
    --memory-limit "$MEMORY_LIMIT"
