#!/usr/bin/env bash
# Install the Debian packages named as arguments if any is missing. Needs root (or
# sudo); otherwise prints the command to run and carries on.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
# Another install running at the same moment (a second checkout's `make`) holds the
# dpkg lock: wait for it rather than fail.
wait_lock=(-o DPkg::Lock::Timeout=600)
if [ "$(id -u)" -eq 0 ]; then
  apt-get "${wait_lock[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get "${wait_lock[@]}" update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -qq "${missing[@]}" >/dev/null
else
  echo "Please install these Debian packages first: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
