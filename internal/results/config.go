package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// BenchConfig is the configuration a benchmark invocation was made with.
// Its JSON names are those the free map of versions 1 and 2 used.
type BenchConfig struct {
	Scenarios []string `json:"scenarios,omitempty"`
	Runners   []string `json:"runners,omitempty"`
	Modes     []string `json:"modes,omitempty"`
	// Sizes and Conns are empty when every scenario kept its defaults.
	Sizes []int `json:"sizes"`
	Conns []int `json:"conns"`
	Reps  int   `json:"reps"`
	// Duration is one measured repetition, Warmup the unmeasured one
	// before them.
	Duration       Duration `json:"duration"`
	Warmup         Duration `json:"warmup"`
	Engine         string   `json:"engine,omitempty"`
	WASIHosts      []string `json:"wasi_hosts,omitempty"`
	TraceHostcalls bool     `json:"trace_hostcalls"`
	TraceModes     []string `json:"trace_modes,omitempty"`
	TraceRunners   []string `json:"trace_runners,omitempty"`
	PollTimeout    Duration `json:"poll_timeout"`
	Verify         bool     `json:"verify"`
	Quick          bool     `json:"quick"`
	// Shard and Shards: the Shard-th of Shards slices of the cases, when
	// Shards > 1.
	Shard    int     `json:"shard,omitempty"`
	Shards   int     `json:"shards,omitempty"`
	TargetCI float64 `json:"target_ci,omitempty"`
	MaxReps  int     `json:"max_reps,omitempty"`
	Pin      bool    `json:"pin,omitempty"`
	// Legacy keeps what an older file's configuration held that no field
	// above takes (a key since renamed, or one of another type), so that
	// the report can still show it. Files of this version never have it.
	Legacy map[string]any `json:"-"`
	// had, for an older file, lists the keys it recorded: a field it did
	// not record is not shown as if its zero value had been chosen.
	had map[string]bool
}

// ConformanceConfig is the configuration of a conformance run.
type ConformanceConfig struct {
	// Engine is the wazero engine.
	Engine string `json:"engine,omitempty"`
	// TimeoutS is the time each test had, in seconds.
	TimeoutS float64 `json:"timeout_s,omitempty"`
	// Jobs is how many tests ran at once.
	Jobs int `json:"jobs,omitempty"`
	// Legacy and had are as in BenchConfig.
	Legacy map[string]any `json:"-"`
	had    map[string]bool
}

// RunDetail holds the driver's own figures of a run's measured repetitions.
type RunDetail struct {
	// Ops is the operations the driver completed: stream chunks of the
	// message size, transactions, connections or requests.
	Ops int64 `json:"ops"`
	// BytesMoved is the payload moved both ways.
	BytesMoved int64 `json:"bytes_moved"`
	// RepCPUS is each repetition's sandbox CPU time in seconds, and RepWork
	// its work: bytes moved (stream, rr) or operations (conn, http), the
	// denominator of RepCPUS in bench.txt.
	RepCPUS []float64 `json:"rep_cpu_s,omitempty"`
	RepWork []float64 `json:"rep_work,omitempty"`
	// Unanswered counts the requests that got no answer.
	Unanswered int64 `json:"unanswered,omitempty"`
}

// Duration is a time.Duration written as Go spells it ("1.5s"), as the
// configuration of versions 1 and 2 did.
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"5s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// IsZero reports whether nothing was recorded (a file without config).
func (c BenchConfig) IsZero() bool {
	c.had = nil
	return reflect.ValueOf(c).IsZero()
}

// IsZero reports whether nothing was recorded.
func (c ConformanceConfig) IsZero() bool {
	c.had = nil
	return reflect.ValueOf(c).IsZero()
}

// Fields lists the configuration as key and value, in the file's names
// and with Legacy's keys, for a table; values print with fmt.
// An older file's configuration lists only the keys the file had.
func (c BenchConfig) Fields() map[string]any { return fields(c, c.Legacy, c.had) }

// Fields lists the configuration as BenchConfig.Fields does.
func (c ConformanceConfig) Fields() map[string]any { return fields(c, c.Legacy, c.had) }

func fields(v any, legacy map[string]any, had map[string]bool) map[string]any {
	m := map[string]any{}
	b, err := json.Marshal(v)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		err = dec.Decode(&m)
	}
	if err != nil {
		panic(fmt.Sprintf("results: configuration does not round-trip: %v", err)) // its fields are plain values
	}
	if had != nil {
		maps.DeleteFunc(m, func(k string, _ any) bool { return !had[strings.ToLower(k)] })
	}
	maps.Copy(m, legacy)
	return m
}

// legacyBench is a results.json of version 1 or 2: configuration and
// details were free maps, which the typed fields take over.
type legacyBench struct {
	Bench
	Config map[string]json.RawMessage `json:"config,omitempty"`
	Runs   []legacyRun                `json:"runs"`
}

type legacyRun struct {
	Run
	Detail map[string]json.RawMessage `json:"detail,omitempty"`
}

type legacyConformance struct {
	Conformance
	Config map[string]json.RawMessage `json:"config,omitempty"`
}

func decodeLegacyBench(b []byte, v *Bench) error {
	var l legacyBench
	if err := strict(b, &l); err != nil {
		return err
	}
	*v = l.Bench
	v.Runs = nil
	if l.Runs != nil {
		v.Runs = make([]Run, len(l.Runs))
	}
	for i, r := range l.Runs {
		v.Runs[i] = r.Run
		if r.Detail == nil {
			continue
		}
		// The detail map only ever held RunDetail's keys: another key is
		// not a file this code knows how to read.
		var d RunDetail
		if err := typed(r.Detail, &d, nil, nil); err != nil {
			return fmt.Errorf("run %d detail: %v", i, err)
		}
		v.Runs[i].Detail = &d
	}
	c := BenchConfig{had: map[string]bool{}}
	// Version 2 files from before hosts were a list name one host.
	if h, ok := l.Config["wasi_host"]; ok {
		var host string
		if json.Unmarshal(h, &host) == nil {
			c.WASIHosts = []string{host}
			c.had["wasi_hosts"] = true
			delete(l.Config, "wasi_host")
		}
	}
	var err error
	if c.Legacy, err = legacyConfig(l.Config, &c, c.had); err != nil {
		return err
	}
	v.Config = c
	return nil
}

func decodeLegacyConformance(b []byte, v *Conformance) error {
	var l legacyConformance
	if err := strict(b, &l); err != nil {
		return err
	}
	*v = l.Conformance
	c := ConformanceConfig{had: map[string]bool{}}
	var err error
	if c.Legacy, err = legacyConfig(l.Config, &c, c.had); err != nil {
		return err
	}
	v.Config = c
	return nil
}

// legacyConfig decodes an older file's configuration map into dst and
// returns what no field took (nil when everything fitted).
func legacyConfig(m map[string]json.RawMessage, dst any, had map[string]bool) (map[string]any, error) {
	legacy := map[string]any{}
	if err := typed(m, dst, legacy, had); err != nil {
		return nil, fmt.Errorf("config: %v", err)
	}
	if len(legacy) == 0 {
		return nil, nil
	}
	return legacy, nil
}

// typed decodes a free map into the struct dst key by key. A key dst has
// no field for, or whose value does not fit the field, goes to legacy as
// it was; with legacy nil it is an error. had, when set, records the keys
// that went to dst (in lower case: JSON names match without case).
func typed(m map[string]json.RawMessage, dst any, legacy map[string]any, had map[string]bool) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		one, _ := json.Marshal(map[string]json.RawMessage{k: m[k]})
		// Try on a fresh value first: a value that fits only in part must
		// not leave half of itself in dst.
		err := strict(one, reflect.New(reflect.TypeOf(dst).Elem()).Interface())
		if err == nil {
			if err := strict(one, dst); err != nil {
				return fmt.Errorf("%s: %v", k, err)
			}
			if had != nil {
				had[strings.ToLower(k)] = true
			}
			continue
		}
		if legacy == nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		var raw any
		if err := json.Unmarshal(m[k], &raw); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		legacy[k] = raw
	}
	return nil
}
