#!/usr/bin/env bash
# Installs what the end-to-end tests drive: registry clients from Debian, and oras from Debian's trixie suite
# unpacked into .test-tools/ without touching the system's package sources. Skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(skopeo umoci podman buildah containerd docker.io uidmap)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
