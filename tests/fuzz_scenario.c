/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the scenario parser: any bytes go to scenario_parse() (as a C string,
 * cut at the first NUL, as scenario_load() would refuse it), and on success the scenario is
 * freed. A crash, a leak or undefined behaviour is a bug in the language (harness/lang/,
 * statements.c, statements-programs.c); an error message is the expected answer to bad input,
 * and it must name FILE:LINE:COL.
 *
 * Built only with clang and -Dfuzz=true (see tests/meson.build); run as
 *   build-fuzz/tests/fuzz-scenario -dict=tests/fuzz-scenario.dict CORPUS_DIR scenarios tests/data
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "report.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];
	struct scenario *s = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	err[0] = 0;
	if (scenario_parse("fuzz.tcpf", text, &s, err, sizeof err) == 0) {
		scenario_free(s);
	} else if (strncmp(err, "fuzz.tcpf:", 10) != 0) {
		/* Every refusal names the place: FILE:LINE:COL. */
		abort();
	}
	free(text);
	return 0;
}
