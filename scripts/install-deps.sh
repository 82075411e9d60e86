#!/usr/bin/env bash
# Installs everything dmlp needs to build, test and run, from Debian bookworm's archive only.
# Idempotent: packages already present are skipped by apt, and the BLAS check only reads.
# Usage (as root): scripts/install-deps.sh
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcaf-dev                      # actors, middleman, OpenSSL transport (0.17.6)
  libtorch-dev                    # tensors and training (1.13, CPU)
  libopenblas0-openmp             # fast BLAS for libtorch; the pthread variant oversubscribes
  libgloo-dev                     # c10d Gloo headers: the all-reduce baseline in bench/
  libcapnp-dev capnproto          # wire and disk formats
  libspdlog-dev libfmt-dev        # logging
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev
  libcpp-httplib-dev prometheus-cpp-dev
  libsqlite3-dev sqlite3
  libstb-dev zlib1g-dev libssl-dev openssl
  dataset-fashion-mnist
  hey wrk curl gnuplot-nox procps iproute2
  clang-format                    # the format check in the test suite
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libtorch must resolve libblas.so.3 to the OpenMP OpenBLAS, not to the reference BLAS.
blas_link=libblas.so.3-x86_64-linux-gnu
openblas=$(update-alternatives --list "$blas_link" 2>/dev/null | grep openblas-openmp | head -n1 || true)
if [[ -z "$openblas" ]]; then
  echo "install-deps: the OpenMP OpenBLAS is not registered as a libblas.so.3 alternative" >&2
  exit 1
fi
if [[ "$(update-alternatives --query "$blas_link" | awk '/^Value:/ {print $2}')" != "$openblas" ]]; then
  update-alternatives --set "$blas_link" "$openblas"
fi
echo "install-deps: all packages present; BLAS = $openblas"
