package progress

import (
	"bytes"
	"strings"
	"testing"
)

// Off a terminal, every step is one plain line, countable by a log reader.
func TestLinesWhenNotATerminal(t *testing.T) {
	var b bytes.Buffer
	r := New(&b)
	if _, ok := r.(*lines); !ok {
		t.Fatalf("a bytes.Buffer got a %T, want plain lines", r)
	}
	r.Phase("bench", 2)
	r.Step("stream/native")
	r.Log("netem missing: delay skipped")
	r.Step("stream/wasi")
	r.Finish()
	out := b.String()
	for _, want := range []string{"nswasi: bench: 2 steps\n", "[1/2] stream/native, about", "[2/2] stream/wasi\n", "netem missing", "bench done in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") {
		t.Errorf("carriage returns in line output:\n%q", out)
	}
}
