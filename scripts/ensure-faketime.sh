#!/usr/bin/env bash
# Installs Debian's libfaketime (used by the demo to move the Lambda's clock from outside the
# process) when it is missing. Needs root, as on this project's machines.
set -euo pipefail
lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
if [ -e "$lib" ]; then
  exit 0
fi
echo "==> installing libfaketime (Debian package) for the demo's moved clock"
if [ "$(id -u)" != 0 ]; then
  echo "libfaketime is missing and this is not root: run 'sudo apt-get install libfaketime'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libfaketime >/dev/null
test -e "$lib"
