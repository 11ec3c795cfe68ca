#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: tests/rootless.sh skips (77) and says why when its part 2 cannot run, never
# passes with only part 1 done. Shown with unshare hidden: rootless.sh runs with a PATH that
# holds every other tool it uses.
#   rootless-skip.sh TCPFAULT SIGKILL-FILE
here=$(dirname "$0")
bin=$(mktemp -d) || exit 1
trap 'rm -rf "$bin"' EXIT
chmod 755 "$bin"
for t in sh id setpriv getent mktemp chmod mkdir chown rm cat grep basename mkfifo readlink sleep test; do
	p=$(which "$t") || { echo "skip: no program $t"; exit 77; }   # the program, not the builtin
	ln -s "$p" "$bin/$t"
done
out=$(PATH=$bin sh "$here/rootless.sh" "$@" 2>&1)
rc=$?
printf '%s\n' "$out"
# Where part 1 skips already (no root, no nobody, namespaces forbidden) part 2 is never reached.
printf '%s\n' "$out" | grep -q '^ok 1:' || { echo "skip: part 1 did not run here"; exit 77; }
[ "$rc" -eq 77 ] || { echo "FAILED: with unshare missing, rootless.sh exited $rc, want 77"; exit 1; }
printf '%s\n' "$out" | grep -q '^skip: .*no unshare' || { echo "FAILED: the skip does not say why"; exit 1; }
echo "ok: rootless.sh skips (77) naming what is missing"
