#!/usr/bin/env bash
# Builds every prebuilt addon the package ships into prebuilds/, where
# node-gyp-build looks: prebuilds/<platform>-<arch>/tcp-keepalive.<libc>.node
# (the libc tag picks glibc or musl; napi builds carry no ABI tag).
# `npm pack` runs it (prepack). Needs a Linux x64 host with:
#   g++                       linux-x64 glibc (the host's compiler)
#   aarch64-linux-gnu-g++     linux-arm64 glibc (Debian: g++-aarch64-linux-gnu)
#   zig 0.11.0                linux-x64 and linux-arm64 musl (scripts/toolchain.sh fetches it)
# and the devDependencies node-addon-api and node-api-headers (Node-API's C
# headers, the same for every target), so nothing is downloaded from Node's
# site. Every target is compiled with the same flags, below.
#
#   scripts/prebuild.sh              all four targets
#   scripts/prebuild.sh --flags      prints the compile flags (tests build the native core with them)
set -euo pipefail
cd "$(dirname "$0")/.."

# Compile flags for every target: size-minded (-Os, each function and datum in
# its own section for --gc-sections, only the module's entry points visible),
# C++17 without exceptions or RTTI as node-addon-api is configured here.
cxxflags=(
  -std=c++17 -Os -fPIC
  -fvisibility=hidden -fvisibility-inlines-hidden
  -fno-exceptions -fno-rtti
  -ffunction-sections -fdata-sections
  -Wall -Wextra -Wno-unused-parameter
)
# Link flags for every target: a shared object with no unused sections and no
# symbol table (what Node needs is in .dynsym).
ldflags=(-shared -Wl,--gc-sections -Wl,--version-script=scripts/exports.map -Wl,--strip-all -Wl,-soname=tcp_keepalive.node)

if [ "${1:-}" = "--flags" ]; then
  echo "${cxxflags[*]}"
  exit 0
fi

addon_api=$(node -p "require('node-addon-api').include_dir")
napi_headers=$(node -p "require('node-api-headers').include_dir")
defines=(-DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -DBUILDING_NODE_EXTENSION)
includes=(-I"$addon_api" -I"$napi_headers")
sources=(native/binding.cc native/keepalive.cc)
name=$(node -p "require('./package.json').name")

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "prebuild.sh: the prebuilds are cross-compiled on Linux x64; this host is $(uname -s)-$(uname -m)" >&2
  exit 1
fi
command -v aarch64-linux-gnu-g++ >/dev/null ||
  { echo "prebuild.sh: aarch64-linux-gnu-g++ not found (Debian: apt-get install g++-aarch64-linux-gnu)" >&2; exit 1; }
zig=$(bash scripts/toolchain.sh zig)

rm -rf prebuilds

# build DIR LIBC COMPILER...: compiles the addon with the compiler command given.
build() {
  local dir=$1 libc=$2
  shift 2
  local out="prebuilds/$dir/$name.$libc.node"
  mkdir -p "prebuilds/$dir"
  "$@" "${cxxflags[@]}" "${defines[@]}" "${includes[@]}" "${sources[@]}" "${ldflags[@]}" -o "$out"
  echo "prebuild.sh: $out ($(stat -c %s "$out") bytes)" >&2
}

build linux-x64 glibc g++
build linux-arm64 glibc aarch64-linux-gnu-g++
# Zig links its libc++ statically; the only shared library left is musl's libc.
build linux-x64 musl "$zig" c++ -target x86_64-linux-musl
build linux-arm64 musl "$zig" c++ -target aarch64-linux-musl
