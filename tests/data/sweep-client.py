# SPDX-License-Identifier: MIT
# A naive HTTP client for the sweep test: keep-alive GETs of /big in a loop, 0.8 s apart
# (its connection idles between them), and no timeout unless one is given (seconds), as
# http.client has none by default. Any error ends it with a traceback and status 1.
#   sweep-client.py HOST PORT [TIMEOUT]
import http.client
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else None
conn = http.client.HTTPConnection(host, port, timeout=timeout)
for _ in range(1000):
    conn.request("GET", "/big")
    response = conn.getresponse()
    while response.read(65536):
        pass
    time.sleep(0.8)
