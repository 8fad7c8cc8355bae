# The front door: `make html` builds the site, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUILDDIR := _build
# Exact versions of everything the build and the tests install, from pyproject (`make lock`).
LOCK := requirements-lock.txt
# uv installs the lock and makes the lock. It installs in a third of pip's time (a fresh venv, back to
# back on an idle machine: 38 s against 121 s), bytecode compiled as pip does, so that no process
# compiles the libraries' sources on import.
UV_VERSION := 0.13.10
UV := $(BIN)/uv pip install --python $(BIN)/python --quiet
# The accessibility checker the browser tests load into each page (from the npm registry).
AXE_VERSION := 4.14.1
export AXE_SCRIPT := $(CURDIR)/$(VENV)/axe/node_modules/axe-core/axe.min.js
AXE := $(AXE_SCRIPT)
SPHINXBUILD := $(BIN)/sphinx-build
# Debian packages through apt-get where we may, else one line saying what to install.
APT_INSTALL := sh tools/apt-install.sh
# Strict: any warning, broken reference or lesson error fails the build, naming all of them.
SPHINXOPTS ?= -nWT --keep-going
# The course data lives where lessons and notebooks look for it too: $$DASK_COURSE_DATA, else
# ~/.cache/dask-course/bluebikes (tutorial_helpers.bikes.data_dir()).

.PHONY: help install lock test-latest graphviz mpi hpc browser data html html-noplot lesson-% livehtml test test-fast bench clean distclean

help:
	@echo "make html          build the course into $(BUILDDIR)/html (sets everything up first)"
	@echo "make test          set up, then run the whole test suite: a strict site build, checked in a browser"
	@echo "make test-fast     the quicker tests: no site build, no lesson, nothing slow"
	@echo "make html-noplot   build the pages without running the lessons (fast)"
	@echo "make lesson-NAME   run only the lessons whose file name contains NAME, e.g. lesson-persist"
	@echo "make livehtml      rebuild and reload in the browser while you edit"
	@echo "make test-latest   build and check the lessons with the newest (pre-)releases; report what breaks"
	@echo "make bench         measure data generation and cold, no-change and one-edit builds"
	@echo "make lock          refresh $(LOCK) (exact versions) from pyproject.toml"
	@echo "make clean         remove the built site and the generated lesson pages"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(None if sys.version_info >= (3, 11) else "The course needs Python 3.11 or newer, and $(PYTHON) is Python " + sys.version.split()[0] + ": name a newer one, e.g. make html PYTHON=python3.12")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not make $(VENV) with $(PYTHON) -m venv (Debian/Ubuntu: sudo apt-get install python3-venv), then run make again." >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip uv==$(UV_VERSION)
	$(UV) --compile-bytecode -r $(LOCK)
	$(UV) --no-deps -e .
	@touch $@

# Refresh the lock: the newest releases that pyproject allows, for every Python >= 3.11 and
# platform (uv's universal resolution). Needs PyPI. Commit the result.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra docs --extra engines --extra test --universal --python-version 3.11 \
	    --no-header --quiet -o $(LOCK)

# Graphviz's `dot` draws the task graphs. Installed through apt-get where we may; else one line.
graphviz:
	@command -v dot >/dev/null 2>&1 || $(APT_INSTALL) "Graphviz's 'dot'" "" graphviz

# Headless Chromium and its driver check the built site as a learner's browser would
# (tests/test_browser.py). Debian's packages, through apt-get where we may; else one line.
browser:
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || $(APT_INSTALL) "Chromium and its driver" "" chromium chromium-driver
	@test -f $(AXE) || { command -v npm >/dev/null 2>&1 || { echo "npm is missing: install Node.js (Debian: sudo apt-get install npm), then run make again." >&2; exit 1; }; \
	  echo "Installing axe-core $(AXE_VERSION) (npm) for the accessibility test..."; \
	  npm install --no-save --no-audit --no-fund --silent --prefix $(VENV)/axe axe-core@$(AXE_VERSION); }

data: install
	$(BIN)/python -m tutorial_helpers data generate

html: install graphviz data
	$(SPHINXBUILD) -b html $(SPHINXOPTS) . $(BUILDDIR)/html
	@echo "Open $(BUILDDIR)/html/index.html in a browser."

html-noplot: install
	$(SPHINXBUILD) -b html -D plot_gallery=0 $(SPHINXOPTS) . $(BUILDDIR)/html

lesson-%: install graphviz data
	$(SPHINXBUILD) -b html -D sphinx_gallery_conf.filename_pattern='$*' $(SPHINXOPTS) . $(BUILDDIR)/html

livehtml: install graphviz data
	$(BIN)/sphinx-autobuild --host 127.0.0.1 --port 0 --ignore "*/lessons/*" --watch examples --watch src . $(BUILDDIR)/html

# Open MPI's `mpirun` runs examples/13_multi_node/bikes_mpi.py in tests/test_mpi.py. Installed
# through apt-get where we may; elsewhere that one test is skipped and says why.
mpi:
	@command -v mpirun >/dev/null 2>&1 || $(APT_INSTALL) "Open MPI's 'mpirun'" "tests/test_mpi.py" openmpi-bin

# A one-node Slurm (slurm-wlm, munge) and Son of Grid Engine (gridengine-*) for
# tests/test_batch_systems.py, which starts and stops them itself (tests/batch_systems.py), and for
# instructors who want to try the job scripts. Installed through apt-get where we may; elsewhere
# those tests are skipped and say why.
HPC_PACKAGES := slurm-wlm munge gridengine-master gridengine-exec gridengine-client
hpc:
	@( command -v sbatch && command -v qsub && for d in slurmctld slurmd munged sge_qmaster sge_execd; do [ -x /usr/sbin/$$d ] || exit 1; done ) >/dev/null 2>&1 \
	  || $(APT_INSTALL) "Slurm and Grid Engine" "tests/test_batch_systems.py" $(HPC_PACKAGES)

# The twenty slowest tests are listed at the end: where `make test`'s time goes, run by run.
test: install graphviz browser mpi hpc data
	$(BIN)/python -m pytest --durations=20

# Everything but the tests that build the site, run lessons, start batch systems or are otherwise slow
# (no site build, no cluster, no lesson; the aim is under a minute), spread over the machine's cores
# (pytest-xdist). The ten slowest tests are listed at the end, so that a test that grows heavy is
# seen and given a marker (pyproject.toml).
test-fast: install graphviz
	$(BIN)/python -m pytest -n auto --durations=10 -m "not build and not lessons and not batch and not slow"

# Upgrade early-warning: the strict build and every lesson's results check with the newest
# releases (pre-releases of dask, distributed, pandas, numpy, pyarrow), in a throwaway copy. Needs PyPI.
test-latest: install
	$(BIN)/python tools/test_latest.py

# Figures for maintainers, in a throwaway copy of the tree: prints a table, writes JSON.
bench: install graphviz
	$(BIN)/python benchmarks/build_bench.py

# How time and peak memory grow with the data, on CSV and Parquet, for pandas (default threads and
# mode.max_threads=1), Polars, DuckDB, Dask threads, a Dask cluster and PySpark when installed, every
# engine's result checked equal (tens of minutes on 2 cores, its duration is in the results file; the
# scaled copies and their Parquet copies take GBs beside the course data): writes
# benchmarks/results/scaling-<machine>.json, which the scaling pages plot.
.PHONY: scale
scale: install data
	$(BIN)/python benchmarks/scaling.py $(SCALE_ARGS)

clean:
	rm -rf $(BUILDDIR) lessons jupyter_execute

# The course data stays: it is the learner's too (`python -m tutorial_helpers data info` says where).
distclean: clean
	rm -rf $(VENV)
