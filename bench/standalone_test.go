package bench_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

// startStandalone starts a workload with one granted listener and no
// control connection, as `nswasi exec --listen :0 -- guest http` does.
func startStandalone(t *testing.T, runner string, args ...string) (sandbox.Guest, string) {
	t.Helper()
	r, err := runners.New(runner, runners.Config{Wasi: wasirun.Host{CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := r.Start(context.Background(), sandbox.Spec{
		Artifact: runners.Artifact(runner, guest.Native, guest.Wasm),
		Args:     args, Env: []string{}, Listen: []sandbox.Listen{{}}, Timeout: 2 * time.Minute,
	})
	if err != nil {
		t.Fatalf("%s: %v", runner, err)
	}
	return g, g.Addrs()[0].String()
}

// A workload granted a single listener serves any client, one after the
// other, until it is stopped: the guest is not waiting for a driver.
func TestStandaloneServesOrdinaryClients(t *testing.T) {
	for _, runner := range []string{"native", "wasi"} {
		t.Run(runner+"/http", func(t *testing.T) {
			g, addr := startStandalone(t, runner, "http", "-mode", "netpoll", "-size", "100")
			defer g.Stop()
			cl := &http.Client{Timeout: 30 * time.Second}
			for i := range 3 {
				resp, err := cl.Get("http://" + addr + "/")
				if err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || len(body) != 100 {
					t.Fatalf("request %d: status %d, %d bytes, %v; want 200 and 100 bytes", i+1, resp.StatusCode, len(body), err)
				}
			}
		})
		t.Run(runner+"/rr", func(t *testing.T) {
			g, addr := startStandalone(t, runner, "rr", "-mode", "blocking", "-size", "64")
			defer func() {
				res := g.Stop()
				// One JSON report line per client served.
				if n := bytes.Count(res.Stdout, []byte("\"conns\":1")); n != 2 && !t.Failed() {
					t.Errorf("stdout has %d reports, want 2: %s", n, res.Stdout)
				}
			}()
			for client := range 2 {
				c, err := net.DialTimeout("tcp", addr, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				msg := bytes.Repeat([]byte{byte('a' + client)}, 64)
				for i := range 3 {
					if _, err := c.Write(msg); err != nil {
						t.Fatal(err)
					}
					got := make([]byte, 64)
					if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("client %d exchange %d: %q, %v", client+1, i+1, got, err)
					}
				}
				c.Close()
				time.Sleep(200 * time.Millisecond) // the report line is written once the guest sees EOF
			}
		})
	}
}
