# Shared by the set-up scripts: make (or reuse) the virtual environment and install koclassify into it.
# Usage: source scripts/_env.sh EXTRAS   (EXTRAS: "" for the core install, "report" etc. for extras,
#        "dev" for everything the tests need, with the CPU build of torch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${KOCLASSIFY_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
pip_install() {
  # pip's own output (what it installs, its progress) goes to the terminal; a failure stops the script (set -e)
  echo "+ pip install $*" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar on "$@"
}
if [ "${1:-}" = "dev" ]; then
  # the CPU build of torch; an unpinned torch would pull a several-GB CUDA build
  pip_install torch==2.13.0
  pip_install -e ".[dev]"
elif [ -n "${1:-}" ]; then
  pip_install -e ".[$1]"
else
  pip_install -e .
fi
export PATH="$PWD/$VENV/bin:$PATH"
