#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints the matrix from a results folder (OUT/columns names the kernels in order, OUT/RELEASE/
# holds each kernel's {catalog,examples,netem}.json): one row per scenario and family, one column
# per kernel, cells pass/fail/error/skipped ("-": that kernel gave no result for it), then a
# summary line per kernel. passed/total counts pass, fail and error; skipped (the kernel lacks
# what the run needs: its 'missing'; results from before the skipped verdict had 'missing' with
# error) and no result are counted apart, never as passes.
#   table.sh OUT
set -eu
out=$1
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
while read -r col; do
	for leg in catalog examples netem; do
		f=$out/$col/$leg.json
		[ -s "$f" ] || continue
		jq -r --arg col "$col" '.results[] |
			[$col, .name, .family, (if .missing != null then "skipped" else .verdict end)] | @tsv' \
			"$f" >> "$rows" || echo "table.sh: $f is not a tcpfault report" >&2
	done
done < "$out/columns"

awk -F '\t' -v out="$out" '
	FNR == NR { cols[++ncol] = $1; next }
	{
		row = $2 " " $3
		if (!(row in seen)) { seen[row] = 1; order[++nrow] = row }
		cell[row, $1] = $4
	}
	function file1(p,   v) { v = "?"; if ((getline v < p) > 0) close(p); return v }
	END {
		w = 8
		for (r = 1; r <= nrow; r++) if (length(order[r]) > w) w = length(order[r])
		printf "%-" w "s", "scenario family"
		for (c = 1; c <= ncol; c++) printf "  %s", cols[c]
		printf "\n"
		for (r = 1; r <= nrow; r++) {
			printf "%-" w "s", order[r]
			for (c = 1; c <= ncol; c++) {
				v = ((order[r], cols[c]) in cell) ? cell[order[r], cols[c]] : "-"
				n[c, v]++
				printf "  %-" length(cols[c]) "s", v
			}
			printf "\n"
		}
		printf "\n"
		for (c = 1; c <= ncol; c++) {
			d = out "/" cols[c]
			total = n[c, "pass"] + n[c, "fail"] + n[c, "error"]
			printf "%s (%s, %ss): %d/%d passed, %d failed, %d error; %d skipped, %d no result; exit catalog %s examples %s netem %s\n",
				cols[c], file1(d "/how"), file1(d "/wall"), n[c, "pass"], total, n[c, "fail"],
				n[c, "error"], n[c, "skipped"], n[c, "-"],
				file1(d "/catalog.rc"), file1(d "/examples.rc"), file1(d "/netem.rc")
		}
	}' "$out/columns" "$rows"
