#!/bin/sh
# SPDX-License-Identifier: MIT
# The helper of exec-dir.tcpf: started as {dir}/exec-dir.sh, from wherever tcpfault runs.
echo "helper ran, given $1"
