#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: cleanup by construction. Starts `tcpfault run -j2` on a few scenarios and kills
# the controller with SIGKILL at pseudo-random moments (TRIALS trials, moments spread over
# 0-1.5 s, the same sequence every time), then requires that nothing is left:
#   - no live process from the run: neither those recorded as the controller's descendants just
#     before the kill, nor any carrying the run's environment tag (which every worker and peer
#     inherits, so one forked after the snapshot is found too); zombies are dead and count as
#     gone;
#   - no named network namespace, no veth and no nft table in this (the host's) namespace, and
#     no new mount that could pin a namespace (nsfs, netns or tcpfault paths), compared
#     with before the trials.
# It only signals the controllers it started, by PID.
#   kill9.sh TCPFAULT FILE... (TRIALS in the environment, default 50)
tcpfault=$1; shift
trials=${TRIALS:-50}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

"$tcpfault" run -j1 --family inet "$1" >/dev/null 2>&1
[ $? -eq 3 ] && { echo "skip: this machine cannot make the namespaces"; exit 77; }

host_state() {
	ip netns list 2>/dev/null
	echo "-- veth"
	ip -o link show type veth 2>/dev/null | sed 's/^[0-9]*: //'
	echo "-- nft"
	nft list tables 2>/dev/null
	# Only mounts the harness could leave: a namespace pinned by a bind mount (nsfs), or
	# anything under a netns or tcpfault path. The rest of the machine may mount and unmount
	# meanwhile (another job's chroot, say) without it being ours.
	echo "-- mounts"
	awk '$(NF-2) == "nsfs" || $5 ~ /netns|tcpfault/ { print $5, $(NF-2), $(NF-1) }' /proc/self/mountinfo | sort
}

# "PID STARTTIME" of every process below $1 (by parent links), one a line.
descendants() {
	# One read of every stat file (a process gone meanwhile is skipped); comm may hold blanks.
	cat /proc/[0-9]*/stat 2>/dev/null |
		sed -n 's/^\([0-9]*\) (\(.*\)) \(.\) \([0-9]*\) .*/\1 \4 \2/p' >"$dir/ps"
	awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (p in parent) {
				q = p
				for (i = 0; i < 64 && q in parent && q != root; i++)
					q = parent[q]
				if (q == root && p != root)
					print p, comm[p]
			}
		}' "$dir/ps"
}

# Live (not zombie) processes: the recorded ones, and any carrying the tag.
alive() {
	while read -r pid comm; do
		st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && grep -qaF "$tag" "/proc/$pid/environ" 2>/dev/null &&
			echo "recorded $pid $comm ($st)"
	done <"$dir/recorded"
	for e in $(grep -laF "$tag" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${e#/proc/}; pid=${pid%/environ}
		st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
		[ -n "$st" ] && [ "$st" != Z ] && echo "tagged $pid $(cat "/proc/$pid/comm" 2>/dev/null) ($st)"
	done
}

host_state >"$dir/before"
seen=0 peers=0 t=1
while [ "$t" -le "$trials" ]; do
	tag="tcpfault-kill9-$$-$t"
	# The moment: a fixed pseudo-random sequence over 0-1500 ms.
	ms=$(( (t * 7919 + 104729) % 1500 ))
	env TCPFAULT_KILL9_TAG="$tag" "$tcpfault" run -j2 "$@" >/dev/null 2>&1 &
	ctl=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	descendants "$ctl" >"$dir/recorded"
	n=$(grep -c . "$dir/recorded")
	seen=$((seen + n))
	peers=$((peers + $(grep -c ' tcpfault-peer' "$dir/recorded")))
	kill -KILL "$ctl" 2>/dev/null
	wait "$ctl" 2>/dev/null
	# Bounded: the kernel delivers PDEATHSIG at once; allow 5 s for exits and reaping.
	end=$(($(date +%s) + 5))
	while :; do
		alive >"$dir/alive"
		[ -s "$dir/alive" ] || break
		[ "$(date +%s)" -le "$end" ] || { echo "FAILED: trial $t (killed at $ms ms): still alive 5 s later:"; cat "$dir/alive"; exit 1; }
		sleep 0.1
	done
	echo "trial $t: killed at $ms ms with $n descendants; none left"
	t=$((t + 1))
done
host_state >"$dir/after"
diff -u "$dir/before" "$dir/after" || { echo "FAILED: the host's namespaces, links, nft tables or mounts changed"; exit 1; }
# A test that cannot fail is a bug: the kills must have caught workers and peers alive.
[ "$peers" -gt 0 ] || { echo "FAILED: no trial caught a peer alive ($seen descendants in all): the test proves nothing"; exit 1; }
echo "ok: $trials kills ($seen descendants recorded, $peers of them peers): no process, namespace, veth, nft table or mount left"
