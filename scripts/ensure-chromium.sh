#!/usr/bin/env bash
# Makes sure Debian's `chromium` package is installed at /usr/bin/chromium, for the Wallboard's
# browser test (driven by playwright-core, which never downloads a browser here). Idempotent.
# Installing needs root (CI runs as root on Debian); elsewhere it says what to run.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and this is not a Debian/Ubuntu system; install Chromium so that $CHROMIUM exists" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: run as root: apt-get install -y --no-install-recommends chromium" >&2
    exit 1
  fi
fi
echo "ensure-chromium: installing Debian's chromium package (first run only)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium >&2
"$CHROMIUM" --version >&2
