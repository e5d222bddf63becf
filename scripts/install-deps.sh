#!/usr/bin/env bash
# Installs everything Funnel needs to build and test, from Debian 12 packages only
# (see docs/architecture.md and DESIGN section 7). Idempotent: when every package is already
# installed it touches nothing, so developers and CI can call it before every build.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config
  # libraries
  libboost1.81-dev libssl-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  # tests and benchmarks; clang-14 + its runtime give libFuzzer and LeakSanitizer
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  # real peers for integration and end-to-end tests
  redis-server redis-sentinel redis-tools nutcracker
  # Prometheus (prometheus, promtool) checks the metrics; curl queries its HTTP API
  prometheus curl
  # tools the tests and scripts call (valgrind, ps/pgrep, ss; openssl makes the TLS tests' CA)
  valgrind procps iproute2 linux-perf openssl
  # the reference the IAM token tests compare with (/usr/bin/python3, issue #19)
  python3-botocore
)

# Node.js and npm run the node-redis and ioredis end-to-end tests. Machines that already have a
# node (e.g. from NodeSource) keep it: Debian's nodejs/npm packages conflict with that npm.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing=()
for pkg in "${packages[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if ((EUID != 0)); then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# apt-get update only when something is missing: it is the slow part and needs the network.
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Installing redis-server may start Debian's own redis on 6379 through its service. Funnel's
# tests never use fixed ports, so it is left alone.

still_missing=()
for pkg in "${missing[@]}"; do
  is_installed "$pkg" || still_missing+=("$pkg")
done
if ((${#still_missing[@]} > 0)); then
  echo "install-deps: FAILED to install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
