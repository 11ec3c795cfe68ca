#!/bin/busybox sh
# A script whose interpreter is a static binary (busybox-static): the shim cannot be loaded into
# it, so 'observe auto' chooses the tracer for it (tests/data/static-interp.tcpf).
exec tiny-client "$@"
