/* SPDX-License-Identifier: MIT */
/*
 * Test helper: reads a JSON report (tcpfault run --format json) and writes the same results
 * in another format (html, mermaid), so tests/html-report.sh compares the HTML with the JSON
 * of one and the same run.
 *   report-render FORMAT REPORT.json > OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int main(int argc, char **argv)
{
	int f = argc == 3 ? report_format_from_name(argv[1]) : -1;
	json_object *top = f >= 0 ? json_object_from_file(argv[2]) : NULL, *all;

	if (f < 0) {
		fprintf(stderr, "usage: report-render FORMAT REPORT.json\n");
		return 2;
	}
	if (!top || !json_object_object_get_ex(top, "results", &all) || !json_object_is_type(all, json_type_array)) {
		fprintf(stderr, "report-render: %s: not a JSON report\n", argv[2]);
		return 1;
	}
	size_t n = json_object_array_length(all);
	struct result **rs = calloc(n ? n : 1, sizeof *rs);
	for (size_t i = 0; rs && i < n; i++)
		if (result_from_json(json_object_array_get_idx(all, i), &rs[i]) < 0) {
			fprintf(stderr, "report-render: result %zu is malformed\n", i);
			return 1;
		}
	if (!rs)
		return 1;
	report_write(stdout, (enum report_format)f, rs, n, NULL);
	for (size_t i = 0; i < n; i++)
		result_free(rs[i]);
	free(rs);
	json_object_put(top);
	return fflush(stdout) == 0 ? 0 : 1;
}
