# Sourced by the test-setup scripts: `debian_mirror` prints the Debian mirror this machine's apt is configured with
# (deb822 `debian.sources` first, then a one-line `sources.list`), so tools fetched for the tests come from the same
# place as the system's packages. Fails, saying why, when neither names one.
debian_mirror() {
  local mirror
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ {print $2; exit} $1 == "deb" && $2 ~ /^\[/ {print $3; exit}' /etc/apt/sources.list 2>/dev/null || true)
  fi
  if [ -z "$mirror" ]; then
    echo "cannot tell Debian's mirror from /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
    return 1
  fi
  echo "$mirror"
}
