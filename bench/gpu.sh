#!/usr/bin/env bash
# Every GPU figure of docs/benchmarks.md in one command and one table: bash bench/gpu.sh [--tiny]
# Needs torch, transformers, peft and accelerate; bitsandbytes comes from a wheel in .whl/ at the repository root
# when it is not installed (the GPU machines have no package index), e.g. fetched beforehand with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_24_x86_64 \
#     -d .whl bitsandbytes==0.50.2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c "import bitsandbytes" >/dev/null 2>&1; then
  wheels=(.whl/bitsandbytes-*.whl)
  if [ ! -e "${wheels[0]}" ]; then
    echo "bitsandbytes is neither installed nor in .whl/: see the comment at the top of bench/gpu.sh" >&2
    exit 2
  fi
  site="${TMPDIR:-/tmp}/koclassify-bench-site"
  echo "installing ${wheels[-1]} into $site" >&2
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "${wheels[-1]}"
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
exec "$PY" bench/gpu.py "$@"
