#!/usr/bin/env bash
# The browser for the console's end-to-end tests (tests/console): Debian's chromium, installed here when
# /usr/bin/chromium is missing (the tests never download a browser of their own). Prints its path.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "chromium not installed: installing Debian's package" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >&2
fi
echo /usr/bin/chromium
