#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: 'if sysctl KEY:' / 'unless sysctl KEY:' steps run only on the kernel they are
# for, the result notes which variant ran, and names the kernel release. Skips (77) where
# namespaces cannot be made or jq is missing.
#   kernel-variant.sh TCPFAULT FILE
command -v jq >/dev/null || { echo "skip: no jq (apt-get install jq)"; exit 77; }
out=$("$1" run -j1 --format json "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || { echo "FAILED: exit status $rc, want 0"; exit 1; }
r=$(printf '%s\n' "$out" | jq -c '.results[0]') || { echo "FAILED: no JSON result"; exit 1; }
# A step under 'if sysctl KEY:' where KEY is absent is a variant, not a missing feature.
[ "$(printf '%s' "$r" | jq -r .verdict)" = pass ] || { echo "FAILED: verdict is not pass"; exit 1; }
[ "$(printf '%s' "$r" | jq -r .kernel)" = "$(uname -r)" ] || { echo "FAILED: kernel is not $(uname -r)"; exit 1; }
for want in "sysctl net.ipv4.tcp_no_such_sysctl absent" "sysctl net.ipv4.tcp_syncookies present"; do
	printf '%s' "$r" | jq -r '.notes[]' | grep -q "kernel variant: $want" || { echo "FAILED: no note '$want'"; exit 1; }
done
echo "ok: the variant steps for this kernel ran, noted; kernel $(uname -r)"
