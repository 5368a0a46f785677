#!/usr/bin/env bash
# Install koclassify with its test extras into .venv (made if missing) and run the test suite.
source "$(dirname "$0")/_env.sh" dev
python -m pytest "$@"
