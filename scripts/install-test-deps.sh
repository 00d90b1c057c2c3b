#!/usr/bin/env bash
# Installs what the end-to-end tests drive: registry clients from Debian, and oras from Debian's trixie suite
# unpacked into .test-tools/ without touching the system's package sources. Skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/debian-mirror.sh

# gcc and libc6-dev build the sendfile helper (native/sendfile.c), so the tests run the path users get;
# postgresql-15, nginx and OpenStack Swift (with memcached) are the real database, load balancer and S3 server the
# tests start themselves (test/support/); slapd and ldap-utils are the real LDAP server the access tests seed;
# chromium is the real browser the sign-in pages are tested in (through playwright-core, which downloads no browser);
# prometheus brings the Prometheus server and promtool the metrics tests start and run themselves (its system service
# is never used); rpm (with rpmbuild), db5.3-util, zstd, bzip2 and xz-utils are the reference tools the scanner's
# version orders, rpm database readers and layer decompression are checked against; debootstrap makes the real Debian
# root (with the dpkg database its dpkg wrote) and golang-go builds the Go binaries whose inventories the scanner's
# real-tree tests check, each against its own tool's answer (dpkg-query, `go version -m`); zip (Info-ZIP) writes
# their jars, nested ones stored as Spring Boot writes them.
packages=(gcc libc6-dev postgresql-15 nginx slapd ldap-utils swift swift-proxy swift-account swift-container swift-object memcached skopeo umoci podman buildah containerd docker.io uidmap openssl chromium prometheus rpm zstd bzip2 xz-utils db5.3-util debootstrap golang-go zip)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# oras and cosign are not in bookworm; their trixie builds run here. Fetch each .deb through apt with a private list
# of trixie's packages (the system's sources stay as they are) and unpack it into .test-tools/root.
tools="$PWD/.test-tools"
for tool in oras cosign; do
  if [ ! -x "$tools/root/usr/bin/$tool" ]; then
    echo "fetching $tool from Debian trixie into .test-tools/"
    mirror=$(debian_mirror)
    mkdir -p "$tools/apt/lists/partial" "$tools/debs"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    if [ -f "$keyring" ]; then
      echo "deb [signed-by=$keyring] $mirror trixie main" > "$tools/apt/trixie.list"
    else
      echo "deb $mirror trixie main" > "$tools/apt/trixie.list"
    fi
    apt_options=(
      -o "Dir::Etc::SourceList=$tools/apt/trixie.list"
      -o "Dir::Etc::SourceParts=/dev/null"
      -o "Dir::State::Lists=$tools/apt/lists"
      -o "Dir::Cache::Archives=$tools/apt/archives"
      -o "APT::Sandbox::User=root"
    )
    apt-get "${apt_options[@]}" update -qq
    rm -f "$tools"/debs/"$tool"_*.deb
    (cd "$tools/debs" && apt-get "${apt_options[@]}" download -qq "$tool" >/dev/null)
    # Unpacked over what is there (no wipe), so fetching one tool keeps the other.
    for deb in "$tools"/debs/"$tool"_*.deb; do dpkg -x "$deb" "$tools/root"; done
    "$tools/root/usr/bin/$tool" version >/dev/null
  fi
done

# The Debian bookworm minbase root of the scanner's real-tree tests, made once per machine (about 30 s) into
# .test-tools/debootstrap/; the tests call the same script when it is missing.
bash scripts/make-debian-root.sh >/dev/null
