#!/bin/sh
# SPDX-License-Identifier: MIT
# tcpfault sweep against real programs: a naive python http.client (no timeout) against
# python3 -m http.server. Checks (issue 17's "Done when"):
#  1. at a 10 s deadline the blackhole cells (idle, mid-transfer) are hung, the SIGKILL cells
#     detected with an exit status and the EOF or errno seen; exit status 1; the JSON carries
#     outcome, detect_ms, exit, errnos per cell;
#  2. --emit writes one scenario per cell, and each passes under 'tcpfault run';
#  3. the JUnit validates with xmllint, one testcase per cell, a failure per hung cell (and the
#     HTML page has its table);
#  4. the same client with a 2 s socket timeout: the blackhole cells detected in 2 to 3 s;
#  5. section E's faults (JUnit, --expect detected, --emit): idle-timeout-reset and
#     rst-injection detected with ECONNRESET, syn-loss unaffected with its 2 s connect stall
#     (3 s before Linux 6.5), zero-window and pmtu-blackhole hung; exit status 1;
#  6. the built-in client and server: refused detected ECONNREFUSED, sigkill mid-transfer
#     detected (the 16 MiB answer cut: status 1), at idle unaffected (EOF), accept-overflow-reset
#     detected ECONNRESET (the server's RST);
#  7. unreachable moments are errors saying why: mid-transfer after the transfer ended, idle
#     after the client exited, idle for a client that never pauses;
#  8. a client thread's failed connects to another port count neither as detection nor on the
#     wire; and in 5, with --expect detected, an unaffected cell is a JUnit failure;
#  9. a client that exits at once: its cells are errors saying so, in well under 30 s.
# Skips (77) without python3 (3.11: http.server --protocol), jq or xmllint, or where namespaces
# cannot be made (exit status 3).
#   sweep.sh TCPFAULT CLIENT.py
set -u
tcpfault=$1 client=$2
for tool in python3 jq xmllint; do
	command -v $tool >/dev/null || { echo "skip: needs $tool"; exit 77; }
done
"$(python3 -c 'import sys; print(sys.executable)')" -m http.server --help 2>/dev/null | grep -q -- --protocol || { echo "skip: python3's http.server has no --protocol"; exit 77; }
# The interpreter itself, not a wrapper that finds it (pyenv's shim is a bash script that runs
# several more under the shim, and took 30 s to start python at -j16 on a loaded machine).
py=$(python3 -c 'import sys; print(sys.executable)')
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"                   # the server's folder: within a confined program's reach
mkdir "$dir/www"
truncate -s 20M "$dir/www/big"    # sparse: a transfer that lasts a little
server="$py -m http.server --protocol HTTP/1.1 --bind {server} --directory $dir/www {port}"
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
# Programs run confined (as nobody when root): where the interpreter or the client is out of
# that user's reach (a pyenv under a mode-700 /root), they run with --privileged-programs.
. "$(dirname "$0")/reach.sh"
reach "$py" "$client"
sweep() { "$tcpfault" sweep $privileged --server "$server" --port 8000 --faults blackhole,sigkill --deadline 10s "$@"; }

# 1. No timeout.
sweep --client "$py $client {server} {port}" --format json -o "$dir/plain.json" --emit "$dir/emit"
rc=$?
[ $rc -eq 3 ] && { echo "skip: this machine lacks what the sweep needs"; exit 77; }
[ $rc -eq 1 ] || fail "exit status $rc with hung cells, not 1"
cells() { jq -r '.cells[] | "\(.fault) \(.moment) \(.outcome) \(.detect_ms) \(.exit.status // .exit.signal // "-") \(.errnos | join(",")) \(.eof)"' "$1"; }
cells "$dir/plain.json"
[ "$(jq '.cells | length' "$dir/plain.json")" = 4 ] || fail "not 4 cells"
for m in idle mid-transfer; do
	[ "$(jq -r --arg m $m '.cells[] | select(.fault == "blackhole" and .moment == $m) | .outcome' "$dir/plain.json")" = hung ] ||
		fail "blackhole at $m is not hung"
	jq -e --arg m $m '.cells[] | select(.fault == "sigkill" and .moment == $m) |
		.outcome == "detected" and .detect_ms >= 0 and .exit.status == 1 and (.eof or (.errnos | length) > 0)' \
		"$dir/plain.json" >/dev/null || fail "sigkill at $m is not detected with its exit and EOF or errno"
done
jq -e '[.cells[] | has("fault", "moment", "family", "outcome", "detect_ms", "exit", "errnos", "wire")] | all' \
	"$dir/plain.json" >/dev/null || fail "a cell lacks a field"

# 3 and 5. JUnit, with section E's faults (a shorter deadline: two cells hang), --expect detected.
"$tcpfault" sweep $privileged --server "$server" --port 8000 --client "$py $client {server} {port}" --deadline 5s \
	--faults idle-timeout-reset,rst-injection,syn-loss,zero-window,pmtu-blackhole --moments before-connect,handshake,idle \
	--expect detected --format junit -o "$dir/e.xml" --emit "$dir/emit"
rc=$?
[ $rc -eq 1 ] || fail "section E: exit status $rc with hung cells, not 1"
xmllint --noout "$dir/e.xml" || fail "the JUnit does not pass xmllint"
[ "$(xmllint --xpath 'count(//testcase)' "$dir/e.xml")" = 5 ] || fail "not one testcase per cell"
# A failure per hung cell, and with --expect detected per unaffected cell (syn-loss): the JUnit
# fails as the exit status does.
[ "$(xmllint --xpath 'count(//testcase/failure)' "$dir/e.xml")" = 3 ] || fail "not one failure per hung or unaffected cell"
[ "$(xmllint --xpath "count(//testcase[@classname='sweep.syn-loss']/failure)" "$dir/e.xml")" = 1 ] ||
	fail "syn-loss, unaffected under --expect detected, is no JUnit failure"
out() { xmllint --xpath "string(//testcase[@classname='sweep.$1']/system-out)" "$dir/e.xml"; }
for f in idle-timeout-reset rst-injection syn-loss zero-window pmtu-blackhole; do echo "$f: $(out $f)"; done
for f in idle-timeout-reset rst-injection; do
	out $f | grep -q '^outcome detected, .*ECONNRESET' || fail "$f is not detected with ECONNRESET"
done
stall=$(out syn-loss | sed -n 's/^outcome unaffected, the connect stalled \([0-9]*\) ms.*/\1/p')
[ -n "$stall" ] && [ "$stall" -ge 1900 ] && [ "$stall" -le 3500 ] || fail "syn-loss is not unaffected with a 2 to 3 s stall"
for f in zero-window pmtu-blackhole; do
	out $f | grep -q '^outcome hung' || fail "$f is not hung"
done

# 2. The emitted scenarios reproduce the cells.
[ "$(ls "$dir/emit" | wc -l)" = 9 ] || fail "--emit wrote $(ls "$dir/emit" | wc -l) files, not 9"
"$tcpfault" run $privileged -j9 "$dir"/emit/*.tcpf || fail "an emitted scenario does not pass under tcpfault run"

# The HTML page: one cell (refused: at once), the table and its outcome.
sweep --client "$py $client {server} {port}" --faults refused --format html -o "$dir/one.html"
grep -q '<table>' "$dir/one.html" && grep -q '<td>refused</td>' "$dir/one.html" &&
	grep -q '>detected</td>' "$dir/one.html" || fail "the HTML page lacks the refused cell"

# The built-in client (bash's /dev/tcp, head for the answer's length, then cat) against the
# built-in server (the peer): a refused connect fails ECONNREFUSED (detected); a server killed
# while it writes its 16 MiB answer leaves it cut, and head's count is short (status 1:
# detected); killed once the answer is read, its FIN is cat's end of file, and cat exits 0
# (unaffected); a handshake completed at a full accept queue with
# tcp_abort_on_overflow draws an RST, and cat's read fails ECONNRESET (detected); its wire, the
# SYN, the SYN-ACK (again 1 s on, should the fillers take that long) and the RST.
"$tcpfault" sweep --port 7000 --faults refused,sigkill,accept-overflow-reset --moments all \
	--format json -o "$dir/builtin.json" --expect detected
rc=$?
cells "$dir/builtin.json"
[ $rc -eq 1 ] || fail "built-in client and server: exit status $rc with --expect detected and an unaffected cell, not 1"
jq -e '[.cells[] | select(.fault == "refused") | .outcome == "detected" and .errnos == ["ECONNREFUSED"]] == [true]' \
	"$dir/builtin.json" >/dev/null || fail "built-in client and server: refused is not detected with ECONNREFUSED"
jq -e '[.cells[] | select(.fault == "sigkill" and .moment == "idle") | .outcome == "unaffected" and .eof] == [true]' \
	"$dir/builtin.json" >/dev/null || fail "built-in client and server: sigkill at idle is not unaffected with EOF"
jq -e '[.cells[] | select(.fault == "sigkill" and .moment == "mid-transfer") | .outcome == "detected" and .eof and
	.exit.status == 1] == [true]' "$dir/builtin.json" >/dev/null ||
	fail "built-in client and server: sigkill at mid-transfer is not detected (a cut answer, status 1)"
jq -e '[.cells[] | select(.fault == "accept-overflow-reset") | .outcome == "detected" and .errnos == ["ECONNRESET"] and
	.exit.status == 1 and .wire[0] == "C>S S" and (.wire[1] | startswith("S>C S.")) and .wire[-1] == "S>C R"] == [true]' \
	"$dir/builtin.json" >/dev/null ||
	fail "built-in client and server: accept-overflow-reset is not detected with ECONNRESET after the server's RST"

# 7. Moments that cannot be reached are errors that say why, not faults that land elsewhere:
# the built-in client (cat, until the end of the stream) against an HTTP/1.0 server (it closes
# after its short answer): mid-transfer, the connection closed before the fault; idle, the
# client has exited. A client that never pauses (a request every 0.1 s on one connection): its
# idle cell is an error (the wire never quiet for 300 ms), where a snapshot of its queues
# would have put the fault between two requests.
"$tcpfault" sweep $privileged --server "$py -m http.server --bind {server} --directory $dir/www {port}" --port 8000 \
	--faults blackhole --moments mid-transfer,idle --format json -o "$dir/ended.json"
cells "$dir/ended.json"
jq -e '[.cells[] | select(.moment == "mid-transfer") | .outcome == "error" and
	(.why | startswith("the transfer ended before the fault"))] == [true]' "$dir/ended.json" >/dev/null ||
	fail "blackhole at mid-transfer after the transfer ended is not an error saying so"
jq -e '[.cells[] | select(.moment == "idle") | .outcome == "error" and (.why | startswith("the client exited (status 0)"))] ==
	[true]' "$dir/ended.json" >/dev/null || fail "blackhole at idle after the client exited is not an error saying so"
busy="import http.client, sys, time; c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2])); [(c.request('GET', '/'), c.getresponse().read(), time.sleep(0.1)) for _ in range(3000)]"
"$tcpfault" sweep $privileged --server "$server" --port 8000 --client "$py -c \"$busy\" {server} {port}" \
	--faults idle-timeout-reset --moments idle --format json -o "$dir/busy.json"
cells "$dir/busy.json"
jq -e '[.cells[] | .outcome == "error" and (.why | contains("never idled"))] == [true]' "$dir/busy.json" >/dev/null ||
	fail "a client that never idles: its idle cell is not an error saying so"

# 8. Only the client's connections to the server's port count: a thread that probes port 9
# every 0.5 s and ignores the refusal leaves a zero window hung, its RSTs off the wire column.
cat > "$dir/probe.py" <<EOF
import runpy, socket, sys, threading, time
def probe():
    for _ in range(200):
        try:
            socket.create_connection((sys.argv[1], 9), timeout=1).close()
        except OSError:
            pass
        time.sleep(0.5)
threading.Thread(target=probe, daemon=True).start()
sys.argv = ["client.py"] + sys.argv[1:]
runpy.run_path("$client", run_name="__main__")
EOF
chmod 644 "$dir/probe.py"
"$tcpfault" sweep $privileged --server "$server" --port 8000 --client "$py $dir/probe.py {server} {port}" \
	--faults zero-window --moments mid-transfer --deadline 5s --format json -o "$dir/probe.json"
cells "$dir/probe.json"
jq -e '[.cells[] | .outcome == "hung" and .errnos == [] and .wire == []] == [true]' "$dir/probe.json" >/dev/null ||
	fail "a probe of port 9 made the zero window's cell other than hung, or entered its errnos or wire"

# 9. A program gone before the fault ends its cell at once, with why: a client that exits at
# once (before connecting) is an error saying so, well before the 30 s bounds of the steps
# that await its packets.
start=$(date +%s)
"$tcpfault" sweep $privileged --server "$server" --port 8000 --client true --faults refused,sigkill \
	--moments before-connect,mid-transfer --format json -o "$dir/gone.json"
took=$(($(date +%s) - start))
cells "$dir/gone.json"
jq -e '[.cells[] | .outcome == "error" and (.why | startswith("the client exited (status 0) before connecting"))] ==
	[true, true]' "$dir/gone.json" >/dev/null || fail "a client that exits at once: its cells do not say so"
[ $took -lt 25 ] || fail "a client that exits at once: the sweep took $took s (the steps' 30 s bounds)"

# 4. A 2 s socket timeout.
sweep --client "$py $client {server} {port} 2" --format json -o "$dir/timeout.json" --expect detected
rc=$?
cells "$dir/timeout.json"
[ $rc -eq 0 ] || fail "exit status $rc with no cell hung, not 0"
# The 2 s count from the client's call that blocks, which may begin before the fault's time
# (taken when the blackhole's step returns, after the rules took effect: 1954 ms measured once
# mid-transfer), hence from 1.5 s, not 2 s.
for m in idle mid-transfer; do
	jq -e --arg m $m '.cells[] | select(.fault == "blackhole" and .moment == $m) |
		.outcome == "detected" and .detect_ms >= 1500 and .detect_ms <= 3000' "$dir/timeout.json" >/dev/null ||
		fail "blackhole at $m with a 2 s timeout is not detected in 1.5 to 3 s"
done
[ $status -eq 0 ] && echo "ok: sweep"
exit $status
