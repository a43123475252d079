#!/usr/bin/env bash
# Install the Debian packages named as arguments if any is missing. Needs root (or
# sudo); otherwise prints the command to run and carries on.
set -euo pipefail
find_missing() {
  missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
}
find_missing "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
# Another install running at the same moment (a second checkout's `make`) holds apt's
# locks: take turns (flock) and wait for any other apt (the timeout) rather than fail.
exec 9>"${TMPDIR:-/tmp}/cirs-apt-ensure.lock"
flock -w 900 9
# The other run may have installed them meanwhile.
find_missing "$@"
[ ${#missing[@]} -eq 0 ] && exit 0
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
