#!/bin/bash -l
# The bikes analysis as a batch job on one node of an SGE cluster, 16 cores.
# Submit it from the folder that holds bikes_batch.py:
#     qsub job_sge_16cores.sh
# -S: run it with bash (an SGE queue runs job scripts with its own shell,
# sh or csh, `qconf -sq all.q | grep shell`, and ignores the #! line);
# -cwd: in the folder you submitted from, not $HOME.
#$ -N bikes-dask
#$ -S /bin/bash
#$ -cwd
#$ -j y
#$ -l h_rt=01:00:00
# Your site's names: "omp" is the workshop site's parallel environment for
# cores on one node (`qconf -spl` lists yours, `qconf -sp NAME` shows one),
# "mem_per_core" its memory request (`qconf -sc` lists what yours offers:
# h_vmem, mem_free, ...). Change those two lines to match.
#$ -pe omp 16
#$ -l mem_per_core=4G

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

# Your site's Python module, where the cluster has modules (`module avail`).
command -v module >/dev/null && module load python3
# The environment with Dask: DASK_COURSE_VENV, else ~/dask-course/.venv
# (`qsub -v DASK_COURSE_VENV=/path/to/venv job_sge_16cores.sh` to name another).
source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"

python bikes_batch.py --workers "$WORKERS" --threads "$THREADS" \
    --memory-limit "$MEMORY_LIMIT"
