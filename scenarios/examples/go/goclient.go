// SPDX-License-Identifier: MIT
// goclient: a small Go TCP client for the go-* examples. Go's runtime makes its socket
// syscalls itself (not through libc), so the shim cannot see them; the tracer does. It connects
// to HOST PORT with a keepalive probe after 1 s of idleness, writes COUNT bytes, then reads until
// end of file or an error, and says what its read returned:
//
//	goclient HOST PORT [COUNT]   ->  "read: EOF" (exit 0) or "read: ... connection reset by peer" (exit 1)
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient HOST PORT [COUNT]")
		os.Exit(2)
	}
	count := 100
	if len(os.Args) > 3 {
		count, _ = strconv.Atoi(os.Args[3])
	}
	d := net.Dialer{KeepAlive: time.Second}
	c, err := d.Dial("tcp", net.JoinHostPort(os.Args[1], os.Args[2]))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	if _, err := c.Write(make([]byte, count)); err != nil {
		fmt.Println("write:", err)
		os.Exit(1)
	}
	buf := make([]byte, 4096)
	for {
		if _, err = c.Read(buf); err != nil {
			break
		}
	}
	fmt.Println("read:", err)
	if err.Error() == "EOF" {
		os.Exit(0)
	}
	os.Exit(1)
}
