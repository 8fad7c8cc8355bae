#!/bin/sh
# Install Debian packages through apt-get where we may (as root, or with password-less sudo);
# elsewhere, say in one line what to install. The Makefile's set-up targets share it.
# Usage: tools/apt-install.sh WHAT SKIPPED PACKAGE...
#   WHAT     what the packages give, for the messages, e.g. "Graphviz's 'dot'"
#   SKIPPED  "" when make must stop without them; else what runs without them, e.g. "tests/test_mpi.py"
set -u
what=$1 skipped=$2
shift 2
advice="on Debian/Ubuntu: sudo apt-get install $*"
give_up() {
  if [ -z "$skipped" ]; then echo "$1: install it ($advice), then run make again." >&2; exit 1; fi
  echo "$1, so $skipped will be skipped (to run it, $advice)." >&2
  exit 0
}
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then sudo=""
elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"
else give_up "Not found: $what"
fi
echo "Installing $what (Debian packages: $*)..."
$sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null \
  || give_up "Could not install $what"
