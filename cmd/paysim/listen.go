package main

import (
	"net"
	"strings"
	"sync"

	"github.com/paysim/paysim/sim/control"
)

// loopbackAddr reports whether an --addr listens on loopback only. An empty host or an
// unspecified address (0.0.0.0, ::) listens on every interface.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	return host != "" && control.IsLoopbackHost(host)
}

// limitListener accepts at most n connections at once: the ones over it wait in the
// kernel's backlog instead of costing paysim a goroutine and buffers each.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func limitConns(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, slots: make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// hostOf is the host of an address, for the control plane's list of its own names.
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.Trim(addr, "[]")
	}
	return host
}
