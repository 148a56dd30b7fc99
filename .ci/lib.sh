# Install helpers shared by .ci/run, tests/addok/setup.sh and benches/lib.sh (sourced, not run).
# Every install a test or a bench needs goes through these functions, so that .ci/check-install
# can run each branch with a fake package manager on PATH.

# have COMMAND: true when COMMAND is on PATH. With LIEUX_CI_ASSUME_MISSING=1 nothing is there,
# so .ci/check-install can run every install branch (the variable reaches child scripts).
have() { [ -z "${LIEUX_CI_ASSUME_MISSING:-}" ] && command -v "$1" >/dev/null 2>&1; }

# as_root CMD...: runs CMD as root, through sudo when we are not root.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PACKAGE...: installs Debian packages, non-interactive, quietly. The environment
# goes through `env` so that it is a variable assignment with or without sudo (a bare
# `$SUDO DEBIAN_FRONTEND=… apt-get` with an empty $SUDO makes bash run `DEBIAN_FRONTEND=…` as a
# command).
apt_install() {
  [ "$#" -gt 0 ] || return 0
  echo "installing Debian packages: $*" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
    echo "warning: apt-get update failed; trying the install anyway" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need COMMAND PACKAGE: installs the Debian PACKAGE when COMMAND is missing.
need() {
  have "$1" || apt_install "$2"
}

# need_venv: python3's venv module (Debian ships it apart, in python3-venv).
need_venv() {
  { [ -z "${LIEUX_CI_ASSUME_MISSING:-}" ] && python3 -m venv --help >/dev/null 2>&1; } ||
    apt_install python3-venv
}
