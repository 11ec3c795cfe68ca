#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: 1,000 connections in one run pass. A client connects 1,000 times to one listener
# (a backlog of 1024 holds them all before the first accept), the server accepts each, every
# connection carries data both ways, both ends close and the client's 1,000 sockets sit in
# TIME-WAIT. The run holds 1,001 socket names on the server's peer (PEER_MAX_SOCKS is 2048),
# about 9,000 peer commands and 10,000 packets a family, captured whole. The file is made here
# (the same four lines for each connection); 'thousand.sh - > F' writes it to F instead.
#   thousand.sh TCPFAULT|-
tcpfault=$1 n=1000
scenario() {
	cat <<END
# 1,000 connections to one listener in one run, data both ways on each, all closed.
summary 1,000 connections to one listener in one run, data both ways on each, all closed
timeout 120s

server listen 5000 1024
END
	awk -v n=$n 'BEGIN {
		for (i = 1; i <= n; i++) print "client.c" i " connect server 5000"
		print "await state server ESTABLISHED port 5000 count " n
		for (i = 1; i <= n; i++) print "server.s" i " accept"
		for (i = 1; i <= n; i++) {
			print "client.c" i " write 100"; print "server.s" i " read 1000 = 100"
			print "server.s" i " write 50"; print "client.c" i " read 1000 = 50"
		}
		for (i = 1; i <= n; i++) { print "client.c" i " close"; print "server.s" i " close" }
		print "await state client TIME-WAIT port 5000 count " n
	}'
}
[ "$tcpfault" = - ] && { scenario; exit 0; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
scenario >"$dir/thousand.tcpf"
"$(dirname "$0")/run-scenario.sh" "$tcpfault" "$dir/thousand.tcpf"
