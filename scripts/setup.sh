#!/usr/bin/env bash
# Makes this checkout ready to build, test and run the demo: installs Erlang/OTP, Elixir and Chromium from
# Debian's packages when they are missing (as root), and the npm dependencies when node_modules is missing or older
# than package-lock.json. Safe to run again: it does nothing when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v erl >/dev/null 2>&1 || missing+=(erlang-base erlang-runtime-tools erlang-tools erlang-syntax-tools)
command -v erlc >/dev/null 2>&1 || missing+=(erlang-dev)
command -v elixir >/dev/null 2>&1 || missing+=(elixir)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: Erlang/OTP 25+ and Elixir 1.14+ are needed; install them (Debian: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# The Cinema's browser tests and benchmark drive Debian's Chromium through playwright-core.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium from Debian's packages (for the UI's browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium
  else
    echo "setup: /usr/bin/chromium is missing, so the UI's browser tests will fail (Debian: sudo apt-get install chromium)" >&2
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi
