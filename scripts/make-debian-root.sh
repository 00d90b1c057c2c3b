#!/usr/bin/env bash
# Makes, once per machine, the Debian root the scanner's real-tree tests push as an image layer: `debootstrap
# --variant=minbase bookworm` from the mirror apt is configured with, tidied as Debian's own container images are
# (no downloaded .debs, no apt lists, no device nodes), archived by GNU tar to
# .test-tools/debootstrap/bookworm-minbase.tar, and that path printed. Its dpkg database is the real one debootstrap's
# dpkg wrote. Called by scripts/install-test-deps.sh and, when the archive is missing, by the tests themselves.
# Idempotent: an archive already there is kept; a new one is written beside it and renamed into place, and a lock
# makes concurrent callers wait for the one that builds. Needs root (debootstrap chroots) and about 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/debian-mirror.sh

folder="$PWD/.test-tools/debootstrap"
archive="$folder/bookworm-minbase.tar"
if [ -s "$archive" ]; then
  echo "$archive"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
  echo "make-debian-root: debootstrap is not installed; run scripts/install-test-deps.sh (it installs Debian's debootstrap)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "make-debian-root: debootstrap needs root (it chroots into the new root to configure its packages)" >&2
  exit 1
fi
mirror=$(debian_mirror)
mkdir -p "$folder"

exec 9>"$folder/.lock"
flock 9
# Another caller may have built it while this one waited for the lock.
if [ -s "$archive" ]; then
  echo "$archive"
  exit 0
fi

work=$(mktemp -d "$folder/work.XXXXXX")
cleanup() {
  # debootstrap mounts proc and sys inside the root while it configures; a run cut short can leave them mounted,
  # and rm must never walk into the host's /proc or /sys through them.
  local mount
  for mount in $(awk -v root="$work/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$mount" || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

started=$(date +%s)
PATH="$PATH:/usr/sbin:/sbin"
if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  echo "make-debian-root: debootstrap --variant=minbase bookworm from $mirror failed; the end of its log:" >&2
  tail -n 40 "$work/debootstrap.log" >&2
  [ -f "$work/root/debootstrap/debootstrap.log" ] && tail -n 40 "$work/root/debootstrap/debootstrap.log" >&2
  exit 1
fi
# As Debian's official images (debuerreotype) leave the root: what apt downloaded is not part of the system.
rm -f "$work"/root/var/cache/apt/archives/*.deb "$work"/root/var/cache/apt/*.bin
find "$work/root/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock -exec rm -rf {} +
# Device nodes, /proc and /sys belong to the container runtime, never to a layer.
tar --sort=name --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
  -C "$work/root" -cf "$work/layer.tar" .
mv -f "$work/layer.tar" "$archive"
echo "make-debian-root: built $archive in $(($(date +%s) - started)) s" >&2
echo "$archive"
