#!/usr/bin/env bash
# All the benchmarks of the tasks issue, one command: bench/run.sh [--quick] [--only NAME] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" bench/run.py "$@"
