// Package wire is what the benchmark driver (bench) and the guest's
// workloads (scenarios/guest) must agree on: the byte pattern streams
// carry, and the report the guest sends after each repetition. It builds
// for linux and wasip1 alike.
package wire

import "fmt"

// PatternPeriod: the byte at stream offset o is byte(o % PatternPeriod):
// cheap to make and to check, and a lost, doubled or reordered chunk shows.
const PatternPeriod = 251

// PatternBuf returns a buffer of size+PatternPeriod pattern bytes; the
// chunk for offset o is buf[o%PatternPeriod:][:size].
func PatternBuf(size int) []byte {
	b := make([]byte, size+PatternPeriod)
	for i := range b {
		b[i] = byte(i % PatternPeriod)
	}
	return b
}

// CheckPattern reports the first byte of p that is not the pattern at
// stream offset off.
func CheckPattern(p []byte, off int64) error {
	for i, c := range p {
		if want := byte((off + int64(i)) % PatternPeriod); c != want {
			return fmt.Errorf("byte %d of the stream is %d, want %d", off+int64(i), c, want)
		}
	}
	return nil
}

// Report is the guest's answer to one repetition, one JSON line on the
// control connection (see scenarios/guest/workload.go).
type Report struct {
	Reads    int64 `json:"reads"`
	Writes   int64 `json:"writes"`
	EAGAINs  int64 `json:"eagains"`
	Waits    int64 `json:"waits"`
	Spurious int64 `json:"spurious"`
	// Gathered counts waits answered by a poll another connection's wait
	// made (the poll mode under wasip1 gathers its waits).
	Gathered int64  `json:"gathered,omitempty"`
	BytesIn  int64  `json:"bytes_in"`
	BytesOut int64  `json:"bytes_out"`
	Conns    int64  `json:"conns"`
	Error    string `json:"error,omitempty"`
}
