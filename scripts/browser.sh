#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool): install it
# when it is missing, with a Chinese font so the pages (and their screenshots) show Chinese.
# Needs root and Debian's package registry.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then
    exit 0
fi
echo "==> installing Debian's chromium and a Chinese font for the browser tests"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "error: /usr/bin/chromium is missing; install Debian's packages 'chromium' and 'fonts-wqy-microhei'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >/dev/null 2>&1 || {
    apt-get update >/dev/null 2>&1
    apt-get install -y --no-install-recommends chromium fonts-wqy-microhei >/dev/null
}
