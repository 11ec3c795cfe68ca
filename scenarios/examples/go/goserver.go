// SPDX-License-Identifier: MIT
// goserver: a small Go TCP server for the go-* examples: it listens on PORT, accepts, says
// "accepted" and never reads, so what a client sent stays unread (a SIGKILL then resets the
// connection). Go's runtime makes its syscalls itself: the tracer sees its accept.
//
//	goserver PORT
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	l, err := net.Listen("tcp", ":"+os.Args[1])
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	var held []net.Conn
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Println("accept:", err)
			os.Exit(1)
		}
		held = append(held, c) // kept open, never read
		fmt.Println("accepted")
	}
}
