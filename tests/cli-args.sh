#!/bin/sh
# SPDX-License-Identifier: MIT
# unit suite (no privilege: every run here has no job, so no namespace is made): the command
# line takes options anywhere and '--' ends them; 'list --all' shows the examples and 'run' and
# 'explain' find them by name; 'run' with no names goes in the order of 'list'; a catalog file
# must name its mode, a file of one's own need not.
#   cli-args.sh TCPFAULT SCENARIO-FILE EXAMPLE-NAME
tcpfault=$1 file=$2 example=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

# options after the names (--shard 2/2 of one job: nothing to run, so no namespace needed)
out=$("$tcpfault" run "$file" -v --family inet --shard 2/2 --format json 2>/dev/null) || fail "run FILE -v ... --format json: $out"
printf '%s\n' "$out" | tr -d ' \n' | grep -qF '"results":[]' || fail "not the json report: $out"
echo "ok 1: run FILE -v --family inet --shard 2/2 --format json"
out=$("$tcpfault" run -- -v 2>&1)
[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF "named '-v'" || fail "'--' does not end the options: $out"
out=$("$tcpfault" run "$file" --bogus 2>&1)
[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF "unknown option '--bogus'" || fail "unknown option after a name: $out"
"$tcpfault" check "$file" --help | grep -q '^Usage: tcpfault check' || fail "check FILE --help"
"$tcpfault" check -- "$file" >/dev/null || fail "check -- FILE"
echo "ok 2: '--' ends the options; unknown ones refused wherever they are"

# the examples: listed with --all only, found by name
"$tcpfault" list | grep -q "^  $example " && fail "'list' shows the example $example"
"$tcpfault" list --all | grep -q "^  $example " || fail "'list --all' does not show $example"
"$tcpfault" list -a | grep -q '^Examples' || fail "'list -a' has no Examples section"
for cmd in run explain; do
	out=$("$tcpfault" $cmd --shard 2/2 "$example" --family inet 2>&1) || fail "$cmd $example: $out"
	printf '%s\n' "$out" | grep -q 'nothing to run in this shard' || fail "$cmd $example: $out"
done
echo "ok 3: list --all shows the examples; run and explain find them by name"

# explain narrates one run unless asked for both families (a shard past the end counts the jobs)
jobs() { "$tcpfault" "$@" --shard 3/3 2>&1 | sed -n 's/.*(\([0-9]*\) jobs* in all).*/\1/p'; }
[ "$(jobs explain "$file")" = 1 ] || fail "explain FILE: $(jobs explain "$file") runs, want 1"
[ "$(jobs explain --family both "$file")" = 2 ] || fail "explain --family both FILE: not 2 runs"
[ "$(jobs run "$file")" = 2 ] || fail "run FILE: not 2 runs"
printf 'summary six\nfamily inet6\nclient connect server 5000\n' >"$dir/six.tcpf"
[ "$(jobs explain "$dir/six.tcpf")" = 1 ] || fail "explain of an inet6 file: $("$tcpfault" explain "$dir/six.tcpf" --shard 3/3 2>&1)"
echo "ok 3b: explain runs one family unless --family both; an inet6 file's in inet6"

# run with no names: the catalog in the order of list (mode, then name), not the files' order
mkdir "$dir/cat" || exit 1
for f in a:C1 b:A2 c:A1; do
	printf 'mode %s\nsummary %s\nfamily inet6\nclient connect server 5000\n' "${f#*:}" "${f%%:*}" >"$dir/cat/${f%%:*}.tcpf"
done
listed=$(TCPFAULT_SCENARIOS=$dir/cat "$tcpfault" list | awk '/^  /{print $1}' | tr '\n' ' ')
[ "$listed" = "c b a " ] || fail "list order: $listed"
# --family inet leaves no run: the message names every file, in the order they would run
ran=$(TCPFAULT_SCENARIOS=$dir/cat "$tcpfault" run --family inet 2>&1 | sed -n 's|^  .*/\([abc]\)\.tcpf: family.*|\1|p' | tr '\n' ' ')
[ "$ran" = "c b a " ] || fail "run order: '$ran', want the list's 'c b a '"
echo "ok 4: run goes in the order of list"

# a catalog file without 'mode' is refused (list and run); the same file of one's own is fine
printf 'summary mine\nclient connect server 5000\n' >"$dir/cat/d.tcpf"
out=$(TCPFAULT_SCENARIOS=$dir/cat "$tcpfault" list 2>&1)
[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF "$dir/cat/d.tcpf:1:1: no 'mode' line" || fail "list: $out"
out=$(TCPFAULT_SCENARIOS=$dir/cat "$tcpfault" run 2>&1)
[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF "d.tcpf:1:1: no 'mode' line" || fail "run: $out"
out=$(TCPFAULT_SCENARIOS=$dir/cat "$tcpfault" run --shard 2/2 --family inet d 2>&1)
[ $? -eq 2 ] || fail "run NAME of a catalog file without mode: $out"
"$tcpfault" check "$dir/cat/d.tcpf" | grep -qF 'ok (no mode, 1 steps)' || fail "check of a file without mode"
out=$("$tcpfault" run --shard 3/3 "$dir/cat/d.tcpf" 2>&1) || fail "run of a file of one's own without mode: $out"
echo "ok 5: the catalog names its modes; a file of one's own need not"

# the real catalog: every file names its mode
"$tcpfault" list --all >/dev/null || fail "the catalog or an example does not load"
echo "ok 6: the catalog and the examples load"

# a report that cannot be written is no pass: -o to a full device, or a full standard output
[ -w /dev/full ] || { echo "ok 7 # skip: no /dev/full"; exit 0; }
out=$("$tcpfault" run "$file" --shard 2/2 --family inet -o /dev/full 2>&1)
[ $? -eq 1 ] && printf '%s\n' "$out" | grep -qF 'writing the report to /dev/full' || fail "-o /dev/full: $out"
out=$( ("$tcpfault" run "$file" --shard 2/2 --family inet >/dev/full) 2>&1)
[ $? -eq 1 ] && printf '%s\n' "$out" | grep -qF 'writing the report to standard output' || fail ">/dev/full: $out"
echo "ok 7: a report that cannot be written exits 1 and says so"

# sweep: its usage refused before any namespace is made (exit 2, the reason named)
"$tcpfault" sweep --help | grep -q '^Usage: tcpfault sweep' || fail "sweep --help"
sweep_refuses() {
	want=$1; shift
	out=$("$tcpfault" sweep "$@" 2>&1)
	[ $? -eq 2 ] && printf '%s\n' "$out" | grep -qF -e "$want" || fail "sweep $*: $out"
}
sweep_refuses "--port N is needed" --faults refused
sweep_refuses '--port N is needed' --client true
sweep_refuses "unknown fault 'nope'" --port 8000 --client true --faults sigkill,nope
sweep_refuses "unknown moment 'later'" --port 8000 --client true --moments later
sweep_refuses 'no cell' --port 8000 --client true --faults refused --moments idle
sweep_refuses "--expect takes 'detected'" --port 8000 --client true --expect hung
sweep_refuses '--deadline takes whole seconds' --port 8000 --client true --deadline 1500ms
sweep_refuses 'does not make a scenario' --port 8000 --client "true $(printf '%01100d' 0)" --faults refused
echo "ok 8: sweep refuses bad usage with exit status 2"
