#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (meson test --benchmark): what observing a program costs. A socat client receives
# SIZE bytes (100 MB by default) from a socat server inside a scenario's namespaces and writes
# them to a file (as curl -o would: a read on the socket, a write to the file), three ways:
# its calls not observed ('observe none'), observed by the shim (LD_PRELOAD), observed by the
# tracer (ptrace and seccomp). The time from its exec to its exit (the best of ROUNDS) is printed
# for each, with the ratio to the unobserved one. Skips (77) where namespaces, socat or jq are
# missing. (curl would need an HTTP server: socat's raw stream races curl's request.)
#   bench-trace.sh TCPFAULT [SIZE [ROUNDS]]
tcpfault=$1 size=${2:-100000000} rounds=${3:-3}
command -v socat >/dev/null && command -v jq >/dev/null || { echo "skip: needs socat and jq"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
head -c "$size" /dev/zero >"$dir/data" || exit 1

best() {   # best MODE: the shortest time of the rounds, in seconds
	: >"$dir/times"
	for i in $(seq "$rounds"); do
		cat >"$dir/t.tcpf" <<EOT
mode B2
summary socat receives $size bytes from socat, its calls observed by: $1
timeout 120s
server.src exec observe none port 8080 socat -u OPEN:$dir/data TCP{ipv}-LISTEN:{port},reuseaddr
await listen server.src 8080
client.rx exec observe $1 socat -u TCP{ipv}:{[server]}:{port} CREATE:$dir/got
await exit client.rx status 0 within 100s
EOT
		"$tcpfault" run --family inet --format json -o "$dir/r.json" "$dir/t.tcpf" >/dev/null 2>&1
		rc=$?
		[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the run needs" >&2; exit 77; }
		[ "$rc" -eq 0 ] || { echo "FAILED: the $1 run: exit status $rc" >&2; jq -c '.results[] | .failures' "$dir/r.json" >&2; exit 1; }
		r='.results[0]' prog='.results[0].programs[] | select(.name == "client.rx")'
		got=$(wc -c <"$dir/got")
		rm -f "$dir/got"
		observer=$(jq -r "$prog | .observer" "$dir/r.json")
		[ "$got" -eq "$size" ] || { echo "FAILED: the $1 run received $got bytes, not $size" >&2; exit 1; }
		[ "$observer" = "$1" ] || { echo "FAILED: the $1 run was observed by $observer" >&2; exit 1; }
		jq -r "($r.exits[] | select(.peer == \"client.rx\") | .t_ms) - ($r.events[] | select(.event | startswith(\"exec rx\")) | .t_ms) | . / 1000" "$dir/r.json" >>"$dir/times"
	done
	sort -g "$dir/times" | head -1
}
none=$(best none) || exit $?
shim=$(best shim) || exit $?
trace=$(best trace) || exit $?
awk -v n="$none" -v s="$shim" -v t="$trace" -v size="$size" 'BEGIN {
	printf "socat receiving %d bytes from socat, exec to exit, best of the rounds:\n", size
	printf "  not observed  %.3f s\n", n
	printf "  shim          %.3f s  (%.2fx)\n", s, s / n
	printf "  tracer        %.3f s  (%.2fx)\n", t, t / n
}'
