#!/usr/bin/env bash
# Memory safety of the addon: builds it with AddressSanitizer, LeakSanitizer
# and UndefinedBehaviorSanitizer (g++'s libasan/libubsan, or clang with
# CXX=clang++) into build/asan/, never build/Release, which the tests load,
# and drives its whole native surface (scripts/asan-driver.js) in a Node
# process with the sanitizer runtime preloaded. Exits non-zero on any error or
# leak report, or if the sanitizers turn out not to be active.
#
#   bash scripts/asan.sh        (npm run test:asan)
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=${CXX:-g++}
CC=${CC:-gcc}
out=build/asan
mkdir -p "$out"

runtime=$("$CXX" -print-file-name=libasan.so)
if [ ! -e "$runtime" ]; then
  # clang names its runtime differently.
  runtime=$("$CXX" -print-file-name="libclang_rt.asan-$(uname -m).so")
fi
if [ ! -e "$runtime" ]; then
  echo "asan: no AddressSanitizer runtime for $CXX (Debian: apt-get install libasan8, or clang with libclang-rt-dev)" >&2
  exit 1
fi

addon_api=$(node -p "require('node-addon-api').include_dir")
# Node-API's C headers: the node-api-headers package (cmake-js brings it), or
# the headers installed beside node.
node_api=$(node -p "require('node-api-headers').include_dir" 2>/dev/null ||
  node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")
[ -e "$node_api/node_api.h" ] || { echo "asan: node_api.h not found (looked in $node_api)" >&2; exit 1; }
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
defines=(-DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED)

echo "asan: building the addon with $("$CXX" --version | head -n1)"
"$CXX" -shared -fPIC -std=c++17 -fno-exceptions -Wall -Wextra "${sanitize[@]}" "${defines[@]}" \
  -I"$addon_api" -I"$node_api" native/binding.cc native/keepalive.cc -o "$out/tcp_keepalive.node"
"$CC" -shared -fPIC "${sanitize[@]}" -O0 -DNAPI_VERSION=8 -I"$node_api" scripts/asan-canary.c -o "$out/canary.node"

export LD_PRELOAD="$runtime"
# Leaks are checked at exit; any report fails the process with its own code.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1
export LSAN_OPTIONS=exitcode=87
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# The canaries first: a sanitizer that misses these would make silence meaningless.
for fault in leak overflow; do
  if node -e "require('./$out/canary.node').$fault()" >"$out/canary.log" 2>&1; then
    echo "asan: the $fault canary went unnoticed: the sanitizers are not active" >&2
    exit 1
  fi
  grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)' "$out/canary.log" || {
    echo "asan: the $fault canary failed without a sanitizer report:" >&2
    cat "$out/canary.log" >&2
    exit 1
  }
done
echo "asan: canaries caught (a leak and a heap overflow are reported here)"

log="$out/driver.log"
status=0
node scripts/asan-driver.js "$out/tcp_keepalive.node" >"$log" 2>&1 || status=$?
cat "$log"
reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
  echo "asan: FAILED (exit $status, $reports sanitizer reports)" >&2
  exit 1
fi
echo "asan: 0 errors, 0 leaks"
