#!/bin/sh
# SPDX-License-Identifier: MIT
# The unit and netns suites under AddressSanitizer + UndefinedBehaviorSanitizer: configures (once)
# a second build dir with -Db_sanitize=address,undefined and runs `meson test` there. The test
# setup 'sanitize' (tests/meson.build) is that build's default: UB stops a test, and ASan leaves
# SIGSEGV to the peers' 'crash'. Extra arguments go to meson test (such as --suite unit).
#   tests/sanitize.sh [BUILD-DIR [MESON-TEST-ARGS...]]    (default build dir: build-asan)
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-asan}
[ $# -gt 0 ] && shift
[ -f "$dir/build.ninja" ] || meson setup "$dir" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
meson compile -C "$dir"
exec meson test -C "$dir" --print-errorlogs "$@"
