#!/bin/sh
# SPDX-License-Identifier: MIT
# Sourced by the netns tests that run programs from the source or build tree: sets $privileged
# to --privileged-programs when the user exec'd programs are confined to (tcpfault as root: the
# user behind sudo, else nobody) cannot reach PATH (a clone under a mode-700 /root), else to "".
# The 'confined' test covers confinement itself.
#   . reach.sh; reach PATH...
reach() {
	privileged=
	[ "$(id -u)" -eq 0 ] || return 0
	user=${SUDO_USER:-nobody}
	for p in "$@"; do
		[ -e "$p" ] || continue   # an option, a catalog name
		setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups test -r "$p" ||
			{ privileged=--privileged-programs; return 0; }
	done
}
