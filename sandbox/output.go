package sandbox

import "sync"

// tailBuffer keeps the last limit bytes written to it and forwards every
// write to an optional sink. It never holds more than 2*limit bytes, so a
// guest that floods its output cannot grow nswasi's memory.
type tailBuffer struct {
	mu        sync.Mutex
	limit     int
	buf       []byte
	truncated bool
	sink      Writer
}

func newTailBuffer(limit int, sink Writer) *tailBuffer {
	return &tailBuffer{limit: limit, sink: sink}
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sink != nil {
		// A failing sink (say, a closed terminal) must not kill the guest's
		// output pipe; the bounded copy is still kept.
		_, _ = t.sink.Write(p)
	}
	if len(p) >= t.limit {
		t.truncated = t.truncated || len(t.buf) > 0 || len(p) > t.limit
		t.buf = append(t.buf[:0], p[len(p)-t.limit:]...)
		return len(p), nil
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.limit {
		n := copy(t.buf, t.buf[len(t.buf)-t.limit:])
		t.buf = t.buf[:n]
		t.truncated = true
	}
	return len(p), nil
}

// Bytes returns a copy of the kept tail and whether anything was dropped.
func (t *tailBuffer) Bytes() ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	trunc := t.truncated
	if len(b) > t.limit {
		b = b[len(b)-t.limit:]
		trunc = true
	}
	return append([]byte(nil), b...), trunc
}
