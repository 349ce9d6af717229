package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
)

// Source is one result directory: what it holds and the label its runs
// carry in the report.
type Source struct {
	// Label names the source in figures and tables: the environment's host,
	// made unique when two directories come from the same host.
	Label     string
	Dir       string
	Bench     *results.Bench     // nil when the directory has no results.json
	Isolation *results.Isolation // nil when it has no isolation.json
	// Conformance is nil when the directory has no conformance.json.
	Conformance *results.Conformance
	// MergedShards, on a source merged from shards, says how many of how
	// many there were ("2 of 3 merged"); the configuration's shard is then
	// the first one's.
	MergedShards string
}

// Env is the source's environment, from whichever file it has.
func (s *Source) Env() results.Environment {
	switch {
	case s.Bench != nil:
		return s.Bench.Environment
	case s.Isolation != nil:
		return s.Isolation.Environment
	}
	return s.Conformance.Environment
}

// Data is every loaded source, in the order the directories were given.
type Data struct {
	Sources []*Source
}

// Load reads each directory's results.json, isolation.json and
// conformance.json. A directory with none of them, or a file that is not a valid result file, is bad input.
func Load(dirs ...string) (*Data, error) {
	if len(dirs) == 0 {
		return nil, usage.BadInput("no result directory given")
	}
	d := &Data{}
	for _, dir := range dirs {
		s, err := loadDir(dir)
		if err != nil {
			return nil, err
		}
		d.Sources = append(d.Sources, s)
	}
	d.Sources = mergeShards(d.Sources)
	label(d.Sources)
	return d, nil
}

// shardOf reads the shard a source's benchmarks were (I of N; 0, 0 when
// not sharded).
func shardOf(s *Source) (i, n int) {
	if s.Bench == nil || s.Bench.Config.Shards <= 1 {
		return 0, 0
	}
	return s.Bench.Config.Shard, s.Bench.Config.Shards
}

// mergeShards makes one source of the shards of one sharded run (`nswasi
// run --shard I/N`, same N, wherever each shard ran): their runs, peers
// and isolation cells together, partial if any shard is partial or
// missing. Unsharded sources stay as they are.
func mergeShards(srcs []*Source) []*Source {
	var out []*Source
	merged := map[int]*Source{}
	seen := map[int]map[int]bool{}
	for _, s := range srcs {
		i, n := shardOf(s)
		if n == 0 {
			out = append(out, s)
			continue
		}
		m := merged[n]
		if m == nil {
			m = &Source{Dir: s.Dir, Bench: &results.Bench{}}
			*m.Bench = *s.Bench
			m.Bench.Runs, m.Bench.Peers = nil, nil
			merged[n], seen[n] = m, map[int]bool{}
			out = append(out, m)
		}
		seen[n][i] = true
		m.Bench.Runs = append(m.Bench.Runs, s.Bench.Runs...)
		m.Bench.Peers = append(m.Bench.Peers, s.Bench.Peers...)
		m.Bench.Partial = m.Bench.Partial || s.Bench.Partial
		if iso := s.Isolation; iso != nil {
			if m.Isolation == nil {
				c := *iso
				c.Probes, c.Cells = nil, nil
				m.Isolation = &c
			}
			m.Isolation.Cells = append(m.Isolation.Cells, iso.Cells...)
			m.Isolation.Probes = append(m.Isolation.Probes, iso.Probes...)
			m.Isolation.Partial = m.Isolation.Partial || iso.Partial
		}
	}
	for n, m := range merged {
		if len(seen[n]) < n {
			m.Bench.Partial = true // a shard is missing
		}
		m.MergedShards = fmt.Sprintf("%d of %d merged", len(seen[n]), n)
	}
	return out
}

func loadDir(dir string) (*Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, usage.BadInput("%s: %v", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return nil, usage.BadInput("%s: not a directory", dir)
	}
	s := &Source{Dir: dir}
	b, err := results.LoadBench(filepath.Join(dir, results.BenchFile))
	switch {
	case err == nil:
		s.Bench = b
	case !errors.Is(err, fs.ErrNotExist):
		return nil, usage.BadInput("%v", err)
	}
	iso, err := results.LoadIsolation(filepath.Join(dir, results.IsolationFile))
	switch {
	case err == nil:
		s.Isolation = iso
	case !errors.Is(err, fs.ErrNotExist):
		return nil, usage.BadInput("%v", err)
	}
	conf, err := results.LoadConformance(filepath.Join(dir, results.ConformanceFile))
	switch {
	case err == nil:
		s.Conformance = conf
	case !errors.Is(err, fs.ErrNotExist):
		return nil, usage.BadInput("%v", err)
	}
	if s.Bench == nil && s.Isolation == nil && s.Conformance == nil {
		return nil, usage.BadInput("%s: holds none of %s, %s, %s", dir, results.BenchFile, results.IsolationFile, results.ConformanceFile)
	}
	return s, nil
}

// label names each source by its host; sources that share a host are told
// apart by their directory's name, then by a number.
func label(srcs []*Source) {
	count := map[string]int{}
	for _, s := range srcs {
		s.Label = s.Env().Host
		if s.Label == "" {
			s.Label = "unknown host"
		}
		count[s.Label]++
	}
	seen := map[string]int{}
	for _, s := range srcs {
		if count[s.Label] > 1 {
			s.Label = fmt.Sprintf("%s (%s)", s.Label, filepath.Base(filepath.Clean(s.Dir)))
		}
		seen[s.Label]++
		if n := seen[s.Label]; n > 1 {
			s.Label = fmt.Sprintf("%s #%d", s.Label, n)
		}
	}
}

// benches and isolations are the sources that have each kind of file.
func (d *Data) benches() []*Source {
	var out []*Source
	for _, s := range d.Sources {
		if s.Bench != nil {
			out = append(out, s)
		}
	}
	return out
}

func (d *Data) conformances() []*Source {
	var out []*Source
	for _, s := range d.Sources {
		if s.Conformance != nil {
			out = append(out, s)
		}
	}
	return out
}

func (d *Data) isolations() []*Source {
	var out []*Source
	for _, s := range d.Sources {
		if s.Isolation != nil {
			out = append(out, s)
		}
	}
	return out
}
