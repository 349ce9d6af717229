package wasirun

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// hostcallTracer counts calls and time per WASI function through wazero's
// experimental function listeners. It attaches only to the WASI host
// module's functions: the guest's own functions get no listener, so they
// compile (and are cached) exactly as untraced.
//
// A wasip1 module runs on one thread and host functions do not call back
// into the guest, so calls never nest or overlap: one start time suffices
// and no lock is needed.
type hostcallTracer struct {
	stats map[string]*results.HostCall
	start time.Time
}

func newHostcallTracer() *hostcallTracer {
	return &hostcallTracer{stats: map[string]*results.HostCall{}}
}

// withTracer returns ctx with t as the listener factory; wazero reads it
// when a module (the WASI host module included) is compiled.
func (t *hostcallTracer) withTracer(ctx context.Context) context.Context {
	return experimental.WithFunctionListenerFactory(ctx, t)
}

// NewFunctionListener implements experimental.FunctionListenerFactory.
func (t *hostcallTracer) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.ModuleName() != wasi_snapshot_preview1.ModuleName {
		return nil
	}
	s := t.stats[def.Name()]
	if s == nil {
		s = &results.HostCall{}
		t.stats[def.Name()] = s
	}
	return callListener{t, s}
}

// Stats returns the calls and total nanoseconds per WASI function that
// was called at least once.
func (t *hostcallTracer) Stats() map[string]results.HostCall {
	out := map[string]results.HostCall{}
	for name, s := range t.stats {
		if s.Calls > 0 {
			out[name] = *s
		}
	}
	return out
}

type callListener struct {
	t *hostcallTracer
	s *results.HostCall
}

func (l callListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.t.start = time.Now()
}

func (l callListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {
	d := time.Since(l.t.start)
	l.s.Calls++
	l.s.TotalNS += int64(d)
	l.s.SumSquaresNS2 += float64(d) * float64(d)
}

// Abort counts calls that end the module (proc_exit) or fail.
func (l callListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {
	l.After(context.TODO(), nil, nil, nil)
}

// LoadHostcalls reads the file a traced host wrote (see Host.TraceFile).
func LoadHostcalls(path string) (map[string]results.HostCall, error) {
	var v struct {
		Hostcalls map[string]results.HostCall `json:"hostcalls"`
	}
	if err := readJSON(path, &v); err != nil {
		return nil, err
	}
	return v.Hostcalls, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
