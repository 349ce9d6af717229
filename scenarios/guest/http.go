package main

import (
	"errors"
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
	// free, when set, holds a token while no connection is being served:
	// connections are then served one at a time.
	free chan struct{}
}

func (l repListener) Accept() (net.Conn, error) {
	if l.free != nil {
		<-l.free
	}
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
	ln := repListener{ln: w.ln, ended: &ended}
	if w.mode == modeBlocking && oneThread {
		// net/http accepts again as soon as it has handed a connection to
		// its goroutine; with blocking calls on one thread that accept
		// would stop the connection it just took until another client
		// dials. Blocking I/O on one thread can serve one connection at a
		// time, so it does: the next accept waits for the connection to
		// close, and later clients wait in the listen backlog.
		ln.free = make(chan struct{}, 1)
		ln.free <- struct{}{}
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
				if ln.free != nil {
					ln.free <- struct{}{}
				}
			}
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	err := srv.Serve(ln)
	active.Wait()
	r.Conns = requests.Load()
	r.BytesOut = out.Load()
	if errors.Is(err, errRepEnded) {
		return nil
	}
	return err
}
