package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nswasi/nswasi/scenarios/wire"
)

func init() { registerWorkload("http", httpServe) }

// httpEndPath is the request that ends an http repetition.
const httpEndPath = "/__nswasi/end"

var errRepEnded = errors.New("repetition ended")

// repListener hands net/http the granted listener's connections in the
// workload's I/O mode. After the end request, the next connection (the
// driver's wake-up dial) ends Serve; Close leaves the granted listener
// open for the next repetition.
type repListener struct {
	ln    *modeListener
	ended *atomic.Bool
}

func (l repListener) Accept() (net.Conn, error) {
	c, err := l.ln.accept()
	if err != nil {
		return nil, err
	}
	if l.ended.Load() {
		c.Close()
		return nil, errRepEnded
	}
	return c, nil
}

func (l repListener) Close() error   { return nil }
func (l repListener) Addr() net.Addr { return &net.TCPAddr{} }

// httpServe serves a fixed w.size-byte body with net/http until the
// driver asks for httpEndPath: requests per second and latency, and a
// target for ordinary HTTP load generators too.
func httpServe(w *workload, r *repReport) error {
	body := wire.PatternBuf(w.size)[:w.size]
	var ended atomic.Bool
	var requests, out atomic.Int64
	var active sync.WaitGroup
	if w.mode == modeBlocking && oneThread {
		return serveInTurn(w, r, body)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
			if req.URL.Path == httpEndPath {
				ended.Store(true)
				rw.Header().Set("Connection", "close")
				return
			}
			requests.Add(1)
			rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
			n, _ := rw.Write(body)
			out.Add(int64(n))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				active.Add(1)
			case http.StateClosed, http.StateHijacked:
				active.Done()
			}
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	err := srv.Serve(repListener{w.ln, &ended})
	active.Wait()
	r.Conns = requests.Load()
	r.BytesOut = out.Load()
	if errors.Is(err, errRepEnded) {
		return nil
	}
	return err
}

// serveInTurn is the http workload in blocking mode on one thread: one
// connection at a time, one request per connection, in one goroutine.
// net/http cannot serve there: it accepts again while a connection waits
// to be served, and before each handler runs it starts a goroutine that
// reads the connection in the background; whenever that goroutine runs
// before the handler has answered (the handler yields at any allocation
// that starts a GC), its blocking read stops the module until the client
// sends more, and the client is waiting for the answer. Closing every
// connection after its answer makes the clients take turns through the
// listen backlog. (RATIONALE.md → "Blocking I/O on one thread".)
func serveInTurn(w *workload, r *repReport, body []byte) error {
	head := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n")
	answer := append(head, body...)
	ended := false
	for {
		c, err := w.ln.accept()
		if err != nil {
			return err
		}
		if ended {
			c.Close() // the driver's wake-up dial
			return nil
		}
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			c.Close() // a client that went away before asking
			continue
		}
		if req.URL.Path == httpEndPath {
			ended = true
			_, err = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		} else {
			r.Conns++
			_, err = c.Write(answer)
			if err == nil {
				r.BytesOut += int64(len(body))
			}
		}
		c.Close()
		if err != nil && !peerGone(err) {
			return fmt.Errorf("answer: %w", err)
		}
	}
}
