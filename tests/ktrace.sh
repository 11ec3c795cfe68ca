#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: the kernel tracer (harness/run/ktrace.c) against the kernel's own word.
#  1. simultaneous-close with no 'await state' (data/simultaneous-close-untraced-states.tcpf):
#     both sockets go FIN-WAIT-1, CLOSING, TIME-WAIT in the result's transitions, both families
#     (FIN-WAIT-1 and CLOSING not awaited at all).
#  2. Each RST reason in the results of refused, linger-zero, reboot-rst, crash-unread,
#     unread-close, half-open-keepalive and accept-overflow-reset is the one a
#     separate reading of tcp:tcp_send_reset in tracefs gives for the same ports (an instance
#     of our own in a tracefs mounted in a mount namespace of our own, removed after; lines
#     taken only between the CLOCK_MONOTONIC readings around each run: other runs on this
#     machine use the same addresses), and each of those runs has at least one. A reset sent
#     for a listener is, in tracefs, a line with the listener's port and 0.
#  4. (below 3) data/ktrace-statements.tcpf: 'await transition' and 'expect reset' pass as
#     written; with a reason the kernel did not give, it fails and names the one it gave; with a
#     name this kernel has not, it is skipped (exit status 3) naming it.
#  3. Runs with identical addresses at once (--repeat 8 -j8): every transition of each run is
#     of its own connections (the ports of its own capture), and each sees both of its sockets
#     through FIN-WAIT-1, CLOSING, TIME-WAIT.
#  5. The kinds of retransmission, in blackhole, syn-loss, half-open-keepalive and zero-window
#     (inet): each traced retransmission with a kind is on one captured packet of that kind;
#     blackhole's data goes again as RTO (after a TLP), syn-loss's SYN and SYN-ACK as SYN and
#     SYN-ACK, half-open-keepalive's server sends keepalive probes, zero-window's client
#     zero-window probes. time-wait: the two timewait sockets a new connection takes over
#     (client :40002, server :5000-:40003) end, TIME-WAIT > CLOSE.
# Skips (77) when not root, without jq or python3, when namespaces cannot be made, or where the
# tracer did not run (a build without libbpf: its note says so); 2 skips without tracefs or
# without reasons on this kernel (before 6.10).
#   ktrace.sh TCPFAULT SIMULTANEOUS_CLOSE_FILE STATEMENTS_FILE BLACKHOLE SYN_LOSS HALF_OPEN_KEEPALIVE ZERO_WINDOW TIME_WAIT
tcpfault=$1 simclose=$2 statements=$3
shift 3
[ "$(id -u)" -eq 0 ] || { echo "skip: the kernel tracer needs root"; exit 77; }
command -v jq >/dev/null && command -v python3 >/dev/null || { echo "skip: needs jq and python3"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
status=0

# 1.
"$tcpfault" run -j2 --format json -o "$dir/sc.json" "$simclose"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenario needs"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED 1: simultaneous-close exit status $rc"; jq -r '.results[].failures[]?' "$dir/sc.json"; exit 1; }
if ! jq -e '[.results[] | has("transitions")] | all' "$dir/sc.json" >/dev/null; then
	echo "skip: the kernel tracer did not run: $(jq -r '[.results[].notes[] | select(startswith("kernel reasons"))][0]' "$dir/sc.json")"
	exit 77
fi
for fam in inet inet6; do
	for host in client server; do
		seq=$(jq -r --arg f $fam --arg h $host '.results[] | select(.family == $f) | [.transitions[] |
			select(.host == $h and (.sport == 5000 or .dport == 5000) and .dport != 0) | .to] | join(" ")' "$dir/sc.json")
		case "$seq" in
		*"FIN-WAIT-1 CLOSING TIME-WAIT"*) echo "ok 1: $fam $host: $seq" ;;
		*) echo "FAILED 1: $fam $host went '$seq', not through FIN-WAIT-1 CLOSING TIME-WAIT"; status=1 ;;
		esac
	done
done

# 2.
cat >"$dir/tracefs.sh" <<'EOS'
set -eu
tcpfault=$1 dir=$2 mnt=$3
mkdir -p "$mnt"
unmount=umount
if [ -d "$mnt/instances" ]; then
	unmount=:   # tracefs is already there (a chroot's /sys/kernel/tracing): only our instance is ours
else
	mount -t tracefs nodev "$mnt" 2>/dev/null || { echo "no tracefs"; exit 2; }
fi
inst=$mnt/instances/tcpfault-ktrace-$$
mkdir "$inst"
trap 'echo 0 >"$inst/events/tcp/tcp_send_reset/enable"; rmdir "$inst"; $unmount "$mnt"' EXIT
echo mono >"$inst/trace_clock"
echo 1 >"$inst/events/tcp/tcp_send_reset/enable"
for s in refused linger-zero reboot-rst crash-unread unread-close half-open-keepalive accept-overflow-reset; do
	t0=$(python3 -c 'import time; print(time.monotonic())')
	"$tcpfault" run --format json -o "$dir/$s.json" $s || echo "$s: exit status $?" >>"$dir/errors"
	t1=$(python3 -c 'import time; print(time.monotonic())')
	echo "$s $t0 $t1" >>"$dir/windows"
done
cat "$inst/trace" >"$dir/trace"
EOS
# tracefs mounted in a mount namespace of this test's own. In a chroot (its / no mount point,
# so unshare cannot make it private), the tracefs already at /sys/kernel/tracing (mounting it
# there again is EBUSY), in a mount namespace whose /sys is made private first.
if unshare -m true 2>/dev/null; then
	unshare -m sh "$dir/tracefs.sh" "$tcpfault" "$dir" "$dir/tracefs"
else
	unshare -m --propagation unchanged sh -c 'mount --make-rprivate /sys && exec sh "$@"' sh \
		"$dir/tracefs.sh" "$tcpfault" "$dir" /sys/kernel/tracing
fi
rc=$?
[ "$rc" -eq 2 ] && { echo "skip: no tracefs to compare with"; exit 77; }
[ "$rc" -eq 0 ] || { echo "FAILED 2: the tracefs reading (exit status $rc)"; exit 1; }
[ -s "$dir/errors" ] && { cat "$dir/errors"; status=1; }
python3 - "$dir" <<'EOP' || status=1
import json, re, sys
d = sys.argv[1]
line = re.compile(r'\s(\d+\.\d+): tcp_send_reset: .* src=(\S+):(\d+) dest=(\S+):(\d+) .*reason=(\w+)')
trace = [m.groups() for m in map(line.search, open(d + '/trace')) if m]
ok = True
for w in open(d + '/windows'):
    name, t0, t1 = w.split()
    seen = {}
    for t, sa, sp, da, dp, reason in trace:
        if float(t0) <= float(t) <= float(t1):
            seen.setdefault(frozenset((int(sp), int(dp))), set()).add(reason)
    for res in json.load(open('%s/%s.json' % (d, name)))['results']:
        got = [p for p in res['packets'] if p.get('reason')]
        if not got:
            print('FAILED 2: %s (%s): no RST with a reason' % (name, res['family'])); ok = False
        for p in got:
            # A reset sent for a listener (a full accept queue) is a line with the listener's
            # ports (PORT and 0) in tracefs: the tracepoint records its socket, not the segment.
            want = (seen.get(frozenset((p['sport'], p['dport']))) or seen.get(frozenset((p['sport'], 0)))
                    or seen.get(frozenset((p['dport'], 0))) or set())
            # Other runs on this machine in the same moment may use the same fixed ports
            # (port-range 40000-...): the kernel's line for ours is among those.
            if p['reason'] not in want:
                print('FAILED 2: %s (%s): RST %d>%d: %s, tracefs: %s' % (name, res['family'], p['sport'], p['dport'], p['reason'], sorted(want) or 'no line'))
                ok = False
            else:
                print('ok 2: %s (%s): RST %s %d>%d reason %s, as tracefs says' % (name, res['family'], p['from'], p['sport'], p['dport'], p['reason']))
sys.exit(0 if ok else 1)
EOP

# 3.
"$tcpfault" run -j8 --repeat 8 --family inet --format json -o "$dir/par.json" "$simclose"
[ $? -eq 0 ] || { echo "FAILED 3: the parallel runs did not all pass"; status=1; }
python3 - "$dir/par.json" <<'EOP' || status=1
import json, sys
ok, counts = True, set()
for res in json.load(open(sys.argv[1]))['results']:
    own = {(p['sport'], p['dport']) for p in res['packets']} | {(p['dport'], p['sport']) for p in res['packets']}
    for t in res['transitions']:
        if t['sport'] and t['dport'] and (t['sport'], t['dport']) not in own:
            print('FAILED 3: run %s: a transition of another run: %s' % (res.get('run'), t)); ok = False
    for h in ('client', 'server'):
        seq = ' '.join(t['to'] for t in res['transitions'] if t['host'] == h and t['dport'])
        if 'FIN-WAIT-1 CLOSING TIME-WAIT' not in seq:
            print('FAILED 3: run %s: %s went %s' % (res.get('run'), h, seq)); ok = False
    counts.add(len(res['transitions']))
if ok:
    print('ok 3: 8 runs at once, each with only its own transitions (%s of them)' % sorted(counts))
sys.exit(0 if ok else 1)
EOP

# 4.
"$tcpfault" run "$statements" || { echo "FAILED 4: $statements did not pass"; status=1; }
sed 's/reason NO_SOCKET/reason TCP_ABORT_ON_CLOSE/' "$statements" >"$dir/wrong.tcpf"
out=$("$tcpfault" run --family inet "$dir/wrong.tcpf"); rc=$?
if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q "server sent no RST for the reason TCP_ABORT_ON_CLOSE" &&
   printf '%s\n' "$out" | grep -q "observed: NO_SOCKET"; then
	echo "ok 4: a reason the kernel did not give fails, naming the one it gave"
else
	echo "FAILED 4: a wrong reason: exit status $rc"; printf '%s\n' "$out"; status=1
fi
sed 's/reason NO_SOCKET/reason NOT_A_REASON/' "$statements" >"$dir/unknown.tcpf"
out=$("$tcpfault" run --family inet "$dir/unknown.tcpf"); rc=$?
if [ $rc -eq 3 ] && printf '%s\n' "$out" | grep -q "this kernel has no reset reason NOT_A_REASON"; then
	echo "ok 4: a reason this kernel does not know: skipped, named"
else
	echo "FAILED 4: an unknown reason: exit status $rc"; printf '%s\n' "$out"; status=1
fi
# 5.
"$tcpfault" run -j4 --family inet --format json -o "$dir/kinds.json" "$@" >/dev/null
rc=$?
[ $rc -eq 0 ] || { echo "FAILED 5: exit status $rc"; jq -r '.results[].failures[]?' "$dir/kinds.json"; status=1; }
python3 - "$dir/kinds.json" <<'EOP' || status=1
import json, sys
want = {'blackhole': ('client', 'RTO'), 'syn-loss': ('server', 'SYN-ACK'),
        'half-open-keepalive': ('server', 'keepalive'), 'zero-window': ('client', 'zero-window-probe')}
ok = True
for res in json.load(open(sys.argv[1]))['results']:
    if res['name'] == 'time-wait':
        ends = sorted((t['host'], t['sport'], t['dport']) for t in res['transitions']
                      if t['from'] == 'TIME-WAIT' and t['to'] == 'CLOSE')
        print('time-wait: timewait sockets ended: %s' % ends)
        if ends != [('client', 40002, 5000), ('server', 5000, 40003)]:
            print('FAILED 5: time-wait: the ends of its timewait sockets: %s' % ends); ok = False
        continue
    kinds = [(p['from'], p['retransmit']) for p in res['packets'] if 'retransmit' in p]
    print('%s: %s' % (res['name'], ', '.join('%s %s' % k for k in kinds)))
    if want.get(res['name']) not in kinds:
        print('FAILED 5: %s: no %s %s' % ((res['name'],) + want.get(res['name'], ('?', '?')))); ok = False
    for t in res['retransmits']:
        if 'kind' in t and not any(p.get('retransmit') == t['kind'] and p['from'] == t['host'] and
                                   p['sport'] == t['sport'] and p['t_ms'] >= t['t_ms'] - 1 for p in res['packets']):
            print('FAILED 5: %s: a traced retransmission on no packet: %s' % (res['name'], t)); ok = False
if ok:
    print('ok 5: the kinds of retransmission on their packets; the ends of TIME-WAIT')
sys.exit(0 if ok else 1)
EOP
exit $status
