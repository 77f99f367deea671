#!/usr/bin/env bash
# Install headless Chromium and its driver from the system packages (Debian/Ubuntu, apt-get) for
# the browser test (tests/browser). Safe to call repeatedly: does nothing when both are present.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    chromium --version 2>/dev/null | head -n 1 || true
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: no chromium/chromedriver and no apt-get; install Chromium and" \
         "ChromeDriver from your system's packages" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver
if ! command -v chromedriver >/dev/null 2>&1; then
    echo "install-browser: chromium-driver did not install a chromedriver" >&2
    exit 1
fi
chromium --version 2>/dev/null | head -n 1 || true
