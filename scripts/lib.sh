# Shared by scripts/run and scripts/test: find or install what the build needs.
# Debian packages are installed when running as root; otherwise the missing
# ones are named and the script stops.

need_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
}

need_go_and_node() {
  export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
  if ! command -v go >/dev/null; then
    echo "Go 1.26 or newer is needed: https://go.dev/dl/ (Debian 12's golang package is too old)" >&2
    exit 1
  fi
  if ! command -v npm >/dev/null; then
    echo "Node.js 20.19+ with npm is needed for the frontend build (e.g. the nodejs package of NodeSource)" >&2
    exit 1
  fi
}

# frontend_build installs the npm packages (if the lockfile changed) and builds the SPA.
frontend_build() {
  if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then
    echo "==> npm ci"
    npm --prefix frontend ci --no-audit --no-fund --loglevel=error
  fi
  echo "==> building the SPA"
  npm --prefix frontend run --silent build >/dev/null
}

build_version() {
  git describe --tags --always --dirty 2>/dev/null || echo dev
}

# wait_page_index URL TOKEN: the first lists start building the page index
# in the background, and the SQL path answers until it is ready. URL is a
# late page of a collection, which the SQL path answers in 17-27 ms and the
# index in a few; each try adds a parameter of its own, so that the response
# cache cannot answer it. Up to 100 tries, 0.2 s apart; fails after them.
wait_page_index() {
  local t i
  for i in $(seq 1 100); do
    t=$(curl -fsS -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $2" "$1&nocache=wait-$i") || t=1
    awk -v t="$t" 'BEGIN {exit !(t < 0.008)}' && return 0
    sleep 0.2
  done
  echo "the page index was not ready after 100 tries: $1" >&2
  return 1
}
