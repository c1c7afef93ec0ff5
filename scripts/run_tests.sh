#!/usr/bin/env bash
# Install everything the test suite needs into ./.venv (Python packages, and Debian's Chromium and nginx for the
# browser and serving tests when they are missing), lint the browser code with ESLint (npm, pinned in package-lock.json),
# then run the whole suite, browser tests included (`npm ci` also brings axe-core, for the accessibility tests).
# Extra arguments go to pytest, e.g. `bash scripts/run_tests.sh -k spec`.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Debian packages the browser and serving tests drive for real: Chromium, and nginx (the public demo's load balancer).
missing=()
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then missing+=(nginx); fi
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's ${missing[*]} for the browser and serving tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The browser and serving tests need ${missing[*]}: install it (e.g. 'sudo apt-get install ${missing[*]}') and re-run." >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's Node.js and npm for the lint of the browser code"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "ESLint (the lint of the browser code) needs npm: install it (e.g. 'sudo apt-get install npm') and re-run." >&2
    exit 1
  fi
fi

echo "== linting the browser code with ESLint"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
npx --no eslint .

echo "== installing the project and its test requirements into .venv"
"$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A CPU build of PyTorch, for the torch export's tests (an unpinned torch pulls GBs of CUDA packages).
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"

echo "== running the test suite"
exec .venv/bin/python -m pytest "$@"
