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
  # the service's browser test: Debian's chromium (driven by Playwright, which never downloads a browser)
  # and a Korean font; only when missing and we may install system packages
  if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "installing chromium and fonts-noto-cjk (apt) for the browser test" >&2
    APT_LOG="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium fonts-noto-cjk; } >"$APT_LOG" 2>&1; then
      tail -20 "$APT_LOG" >&2
      echo "apt-get install chromium failed: the browser test will be skipped" >&2
    fi
    rm -f "$APT_LOG"
  fi
  # the CPU build of torch; an unpinned torch would pull a several-GB CUDA build
  pip_install torch==2.13.0
  pip_install -e ".[dev]"
elif [ -n "${1:-}" ]; then
  pip_install -e ".[$1]"
else
  pip_install -e .
fi
export PATH="$PWD/$VENV/bin:$PATH"
