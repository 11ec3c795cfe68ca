#!/bin/sh
# SPDX-License-Identifier: MIT
# netns suite: the html report in a real browser (headless Chromium). Scenarios run once with
# --format json; report-render writes the HTML of those same results, so the browser's DOM is
# counted against the JSON of one run: each run must have its one SVG (in the SVG namespace,
# drawn with a height), as many elements of class packet as the JSON has packets, of class
# call as syscalls, of class fault as events and deaths, of class state as states, of class
# reason as RSTs with the kernel's reason, of class retransmit as packets with a retransmission
# kind, of class drop as drops, and of class state-band (each with its data-state) as the
# tracer's transitions into a state other than CLOSE (a band per state a socket was in); and no
# label's box, as laid out, leaves its lane (a packet's arrow, the room between the lifelines
# around a note) or overlaps another label (long calls, RST reasons, faults are cut). Then the
# same scenarios through 'tcpfault run --format html --pcap-dir': every run in the JSON's
# order, each with its SVG and a link to a capture that exists. The counting script is added
# to a copy by this test; the report itself has none. Skips (77) where chromium or jq is
# missing or namespaces cannot be made.
#   html-report.sh TCPFAULT REPORT-RENDER SCENARIO...
tcpfault=$1 render=$2; shift 2
command -v jq >/dev/null || { echo "skip: no jq (apt-get install jq)"; exit 77; }
command -v chromium >/dev/null || { echo "skip: no chromium (apt-get install chromium)"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

# One line per run from the DOM: name family svgs packets calls faults states reasons retransmits
# drops bands href (bands: those with a data-state). Then (pre#boxes) each label of a ladder
# whose box, as the browser laid it out, leaves its lane (a packet's: its arrow; a note's:
# between the lifelines around it; the svg) or overlaps another label.
count_script='<script>
var out = [];
document.querySelectorAll("section.run").forEach(function (s) {
	var svgs = s.querySelectorAll("svg"), g = svgs[0];
	var ok = g && g.namespaceURI === "http://www.w3.org/2000/svg" && g.getBoundingClientRect().height > 0;
	var n = function (c) { return g ? g.querySelectorAll("." + c).length : 0; };
	var a = s.querySelector(".pcap a");
	var bands = g ? g.querySelectorAll(".state-band[data-state]").length : 0;
	out.push([s.dataset.name, s.dataset.family, ok ? svgs.length : 0, n("packet"), n("call"), n("fault"),
		  n("state"), n("reason"), n("retransmit"), n("drop"), bands, a ? a.getAttribute("href") : "-"].join(" "));
});
var p = document.createElement("pre");
p.id = "counts";
p.textContent = "\n" + out.join("\n") + "\n";
document.body.appendChild(p);
var bad = [];
document.querySelectorAll("section.run").forEach(function (s) {
	var g = s.querySelector("svg");
	if (!g)
		return;
	var W = g.viewBox.baseVal.width, who = s.dataset.name + " (" + s.dataset.family + ")";
	var lifelines = [].map.call(g.querySelectorAll(".host line"), function (l) { return l.x1.baseVal.value; });
	var boxes = [].map.call(g.querySelectorAll("text"), function (t) {
		var b = t.getBBox(), p = t.parentNode, lane = [0, W];
		var arrow = p.classList.contains("packet") ? p.querySelector(":scope > line") : null;
		if (arrow) {
			var a = arrow.x1.baseVal.value, c = arrow.x2.baseVal.value;
			lane = [Math.min(a, c) - 2, Math.max(a, c) + 2];
		} else if (!t.classList.contains("head") && !t.classList.contains("addr") && !t.classList.contains("t")) {
			var x = t.x.baseVal[0].value;
			lifelines.forEach(function (l) {
				if (l <= x && l > lane[0]) lane[0] = l;
				if (l > x && l < lane[1]) lane[1] = l;
			});
		}
		var box = { t: t.textContent, x0: b.x, x1: b.x + b.width, y0: b.y, y1: b.y + b.height };
		if (box.x0 < lane[0] - 0.5 || box.x1 > lane[1] + 0.5)
			bad.push(who + ": ’" + box.t + "’ [" + Math.round(box.x0) + "-" + Math.round(box.x1) + "] out of its lane [" +
				 Math.round(lane[0]) + "-" + Math.round(lane[1]) + "]");
		return box;
	});
	boxes.sort(function (a, b) { return a.y0 - b.y0; });
	for (var i = 0; i < boxes.length; i++)
		for (var j = i + 1; j < boxes.length && boxes[j].y0 < boxes[i].y1 - 0.5; j++)
			if (boxes[j].x0 < boxes[i].x1 - 0.5 && boxes[i].x0 < boxes[j].x1 - 0.5)
				bad.push(who + ": ’" + boxes[i].t + "’ overlaps ’" + boxes[j].t + "’");
});
var q = document.createElement("pre");
q.id = "boxes";
q.textContent = "\n" + bad.join("\n") + "\n";
document.body.appendChild(q);
</script>'

# dom HTML: the runs' lines as the browser counts them.
dom() {
	cp "$1" "$dir/page.html" && printf '%s\n' "$count_script" >>"$dir/page.html" || return 1
	timeout 120 chromium --headless --disable-gpu --no-sandbox --user-data-dir="$dir/profile" \
		--dump-dom "file://$dir/page.html" 2>/dev/null >"$dir/dom" || return 1
	sed -n '/<pre id="counts">/,/<\/pre>/p' "$dir/dom" | sed '1d;$d'
	sed -n '/<pre id="boxes">/,/<\/pre>/p' "$dir/dom" | sed '1d;$d' | sed '/^$/d' >"$dir/boxes"
}

# boxes WHICH: fails where a label left its lane or overlapped another.
boxes() {
	[ -s "$dir/boxes" ] || return 0
	echo "FAILED: $1: $(wc -l <"$dir/boxes") labels out of their lanes or overlapping (first 20):"
	head -20 "$dir/boxes"
	exit 1
}

"$tcpfault" run -j2 --format json -o "$dir/r.json" "$@"
rc=$?
[ "$rc" -eq 3 ] && { echo "skip: this machine lacks what the scenarios need"; exit 77; }
# The verdicts are the catalog tests' business; a report is drawn for failures too.
[ "$rc" -le 1 ] || { echo "FAILED: json run: exit status $rc"; exit 1; }
"$render" html "$dir/r.json" >"$dir/same.html" || { echo "FAILED: report-render"; exit 1; }
jq -r '.results[] | "\(.name) \(.family) 1 \(.packets // [] | length) \(.syscalls // [] | length) "
	+ "\((.events // [] | length) + (.exits // [] | length)) \(.states // [] | length) "
	+ "\([.packets // [] | .[] | select(.reason)] | length) \([.packets // [] | .[] | select(.retransmit)] | length) "
	+ "\(.drops // [] | length) \([.transitions // [] | .[] | select(.to != "CLOSE")] | length) -"' "$dir/r.json" >"$dir/want" ||
	exit 1
dom "$dir/same.html" >"$dir/got" || { echo "FAILED: chromium could not load the report"; exit 1; }
runs=$(wc -l <"$dir/want")
[ "$runs" -ge 12 ] || { echo "FAILED: only $runs runs in the JSON"; exit 1; }
if ! diff -u "$dir/want" "$dir/got"; then
	echo "FAILED: the DOM (+) differs from the JSON (-): name family svgs packets calls faults states reasons retransmits drops bands"
	exit 1
fi
echo "ok: $runs runs, each with its SVG; packets, calls, faults, states, reasons, retransmissions, drops and state bands as in the JSON"
boxes "the report of the JSON"
echo "ok: every label of every ladder within its lane, none overlapping another"
# Where the tracer ran (root), the reasons and bands are there to count, not all zero.
if jq -e '[.results[] | has("transitions")] | all' "$dir/r.json" >/dev/null; then
	awk '{ r += $8; b += $11 } END { exit !(r > 0 && b > 0) }' "$dir/got" ||
		{ echo "FAILED: the tracer ran, yet no reason or no state band in the DOM"; exit 1; }
	echo "ok: $(awk '{ r += $8 } END { print r }' "$dir/got") reasons and $(awk '{ b += $11 } END { print b }' "$dir/got") state bands"
fi

# End to end: the CLI's own html, with captures, in a folder beside the page's: each link is
# relative to the page (it survives copying the two folders together), "../pcap/...".
mkdir "$dir/html"
"$tcpfault" run -j2 --format html --pcap-dir "$dir/pcap" -o "$dir/html/cli.html" "$@"
rc=$?
[ "$rc" -le 1 ] || { echo "FAILED: html run: exit status $rc"; exit 1; }
grep -qi '<script\|src=' "$dir/html/cli.html" && { echo "FAILED: the report holds a script or fetches something"; exit 1; }
dom "$dir/html/cli.html" >"$dir/cli" || { echo "FAILED: chromium could not load the CLI's report"; exit 1; }
boxes "the CLI's report"
cut -d' ' -f1,2 "$dir/want" >"$dir/want-names"
cut -d' ' -f1,2 "$dir/cli" >"$dir/cli-names"
diff -u "$dir/want-names" "$dir/cli-names" || { echo "FAILED: the CLI's report lists other runs"; exit 1; }
while read -r name family svgs packets _ _ _ _ _ _ _ href; do
	[ "$svgs" = 1 ] && [ "$packets" -gt 0 ] || { echo "FAILED: $name ($family): $svgs SVGs, $packets packets"; exit 1; }
	[ "$href" = "../pcap/$name-$family.pcap" ] && [ -s "$dir/html/$href" ] ||
		{ echo "FAILED: $name ($family): capture link '$href'"; exit 1; }
done <"$dir/cli"
echo "ok: the CLI's report: $runs runs, each with its SVG and its capture's link"
