#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (meson test --benchmark): what observing a program costs. Inside a scenario's
# namespaces a client downloads SIZE bytes (100 MB by default) and writes them to a file, three
# ways: its calls not observed ('observe none'), observed by the shim (LD_PRELOAD), observed by
# the tracer (ptrace and seccomp). Two shapes: curl fetching a file from python3's http.server
# (the issue's case: some 1,000 recv of 100 KiB with a poll before each, 12,700 stdio writes of
# 8 KiB to the file: 16,600 stops traced), and socat receiving from socat (12,200 reads of 8 KiB,
# as many writes, and 73,000 recvfrom on socat's own AF_UNIX diagnostic socket: 110,000 stops).
# The time from the client's exec to its exit is taken from the JSON; the three ways run one
# after the other, ROUNDS times, in an order that turns each round (a run is slowed by the one
# before it); the median time of each is printed, and the median of the rounds' ratios to the
# unobserved run (a round's runs are close in time: its ratio holds when the machine's speed
# drifts). Skips (77) where namespaces, curl, python3, socat or jq are missing.
#   bench-trace.sh TCPFAULT [SIZE [ROUNDS]]
tcpfault=$1 size=${2:-100000000} rounds=${3:-5}
for c in curl python3 socat jq; do
	command -v $c >/dev/null || { echo "skip: needs $c"; exit 77; }
done
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir" && mkdir -m 777 "$dir/out" && head -c "$size" /dev/zero >"$dir/data" && chmod 644 "$dir/data" || exit 1

# scenario SHAPE MODE: the scenario file's text
scenario() {
	echo "mode B2"
	echo "summary $1 receives $size bytes, its calls observed by: $2"
	echo "timeout 120s"
	case $1 in
	curl)
		echo "server.src exec observe none port 8080 python3 -m http.server --bind {server} --directory $dir {port}"
		echo "await listen server.src 8080 within 30s"
		echo "client.rx exec observe $2 curl -sS -o $dir/out/got http://{[server]}:{port}/data" ;;
	socat)
		echo "server.src exec observe none port 8080 socat -u OPEN:$dir/data TCP{ipv}-LISTEN:{port},reuseaddr"
		echo "await listen server.src 8080 within 30s"
		echo "client.rx exec observe $2 socat -u TCP{ipv}:{[server]}:{port} CREATE:$dir/out/got" ;;
	esac
	echo "await exit client.rx status 0 within 100s"
}

# once SHAPE MODE: one run; its exec-to-exit seconds appended to $dir/SHAPE-MODE
once() {
	scenario "$1" "$2" >"$dir/t.tcpf"
	"$tcpfault" run --family inet --format json -o "$dir/r.json" "$dir/t.tcpf" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the run needs"; exit 77; }
	[ "$rc" -eq 0 ] || { echo "FAILED: $1 $2: exit status $rc" >&2; jq -c '.results[] | .failures' "$dir/r.json" >&2; exit 1; }
	r='.results[0]' prog='.results[0].programs[] | select(.name == "client.rx")'
	got=$(wc -c <"$dir/out/got")
	rm -f "$dir/out/got"
	observer=$(jq -r "$prog | .observer" "$dir/r.json")
	[ "$got" -eq "$size" ] || { echo "FAILED: $1 $2 received $got bytes, not $size" >&2; exit 1; }
	[ "$observer" = "$2" ] || { echo "FAILED: $1 $2 was observed by $observer" >&2; exit 1; }
	jq -r "($r.exits[] | select(.peer == \"client.rx\") | .t_ms) - ($r.events[] | select(.event | startswith(\"exec rx\")) | .t_ms) | . / 1000" \
		"$dir/r.json" >>"$dir/$1-$2"
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for shape in curl socat; do
	for i in $(seq "$rounds"); do
		# the order turns each round: a run is slowed by the one before it (measured: the
		# unobserved run, always after a traced one, took 1.45x the shim's)
		case $((i % 3)) in
		1) order="none shim trace" ;;
		2) order="shim trace none" ;;
		0) order="trace none shim" ;;
		esac
		for mode in $order; do
			once $shape $mode || exit $?
		done
	done
	# each round's ratios (its three runs were taken one after the other), then their medians
	paste "$dir/$shape-none" "$dir/$shape-shim" "$dir/$shape-trace" |
		awk -v s="$dir/s" -v t="$dir/t" '{ print $2 / $1 >s; print $3 / $1 >t }'
	awk -v n="$(median "$dir/$shape-none")" -v s="$(median "$dir/$shape-shim")" -v t="$(median "$dir/$shape-trace")" \
	    -v rs="$(median "$dir/s")" -v rt="$(median "$dir/t")" -v size="$size" -v shape="$shape" -v rounds="$rounds" 'BEGIN {
		printf "%s receiving %d bytes, exec to exit, median of %d rounds taken in turn (ratio: the median of the ratios of the rounds):\n", shape, size, rounds
		printf "  not observed  %.3f s\n", n
		printf "  shim          %.3f s  (%.2fx)\n", s, rs
		printf "  tracer        %.3f s  (%.2fx)\n", t, rt
	}'
done
