#!/bin/sh
# SPDX-License-Identifier: MIT
# The server of helper-script.tcpf: listens on port $2 (IPv$1) and reads one request into
# nowhere. It execs socat, so the program tcpfault started is socat itself: a kill reaches it.
exec socat -u "TCP$1-LISTEN:$2,reuseaddr" OPEN:/dev/null
