#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages as a reader sees them: each scdoc source rendered (scdoc, then groff -man
# -Tutf8, or man -l), with no scdoc markup left in the text. scdoc leaves markup as it is where
# its rules do not apply (an underscore inside a word, 'run_K_.pcap', 'SPORT+_COUNT_-1'), and
# the page then shows the underscores and asterisks instead of the emphasis.
#   man-pages.sh PAGE.scd...
set -u
command -v scdoc >/dev/null || { echo "man-pages.sh: scdoc is not installed" >&2; exit 77; }
if command -v groff >/dev/null; then
	render() { groff -man -Tutf8 -rHY=0 -rLL=150n -P-cbou 2>&1; }
elif command -v man >/dev/null; then
	render() { MANWIDTH=150 MAN_KEEP_FORMATTING= man -l - 2>&1 | sed 's/.\x08//g'; }
else
	echo "man-pages.sh: neither groff nor man is installed" >&2
	exit 77
fi
status=0
for page in "$@"; do
	text=$(scdoc <"$page" | render) || { echo "FAIL $page: scdoc or the renderer failed" >&2; status=1; continue; }
	lines=$(printf '%s\n' "$text" | wc -l)
	if [ "$lines" -lt 50 ]; then
		echo "FAIL $page: rendered to $lines lines" >&2
		status=1
		continue
	fi
	# Leaks: _PLACEHOLDER_ not part of an identifier (TCPFAULT_SHIM_FD is one), _word_,
	# *word*, a backslash escape, a troff request or warning shown as text.
	leaks=$(printf '%s\n' "$text" | grep -nE \
		-e '(^|[^A-Z0-9_])_[A-Z][A-Z0-9]*_' \
		-e '(^|[^A-Za-z0-9_])_[a-z][a-z0-9.-]*_([^A-Za-z0-9_]|$)' \
		-e '(^|[^*A-Za-z0-9])\*[A-Za-z][^* ]*\*' \
		-e '\\[*_fs(&]' \
		-e '^\.[A-Z][A-Za-z]? ' \
		-e 'warning:')
	if [ -n "$leaks" ]; then
		echo "FAIL $page: scdoc markup left in the rendered page:" >&2
		printf '%s\n' "$leaks" >&2
		status=1
	else
		echo "ok $page ($lines lines)"
	fi
done
exit $status
