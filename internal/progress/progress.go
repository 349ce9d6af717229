// Package progress shows how far a long run has got: a progress bar with
// the current step and an ETA on a terminal, plain one-line log entries
// anywhere else (CI, pipes, files), where a redrawn bar would be noise.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Reporter receives progress. It is safe for concurrent use.
type Reporter interface {
	// Phase starts a named phase of total steps.
	Phase(name string, total int)
	// Step marks one step of the current phase done; label says what it was.
	Step(label string)
	// Log prints a message without disturbing the bar.
	Log(format string, args ...any)
	// Finish ends the current phase.
	Finish()
}

// New returns a bar when w is a terminal, a line logger otherwise.
func New(w io.Writer) Reporter {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &bar{w: w}
	}
	return &lines{w: w}
}

// Discard reports nothing.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Phase(string, int)  {}
func (discard) Step(string)        {}
func (discard) Log(string, ...any) {}
func (discard) Finish()            {}

type lines struct {
	mu          sync.Mutex
	w           io.Writer
	phase       string
	total, done int
	start       time.Time
}

func (l *lines) Phase(name string, total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phase, l.total, l.done, l.start = name, total, 0, time.Now()
	fmt.Fprintf(l.w, "nswasi: %s: %d steps\n", name, total)
}

func (l *lines) Step(label string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done++
	eta := ""
	if l.done < l.total {
		left := time.Duration(float64(time.Since(l.start)) / float64(l.done) * float64(l.total-l.done))
		eta = fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	fmt.Fprintf(l.w, "nswasi: %s [%d/%d] %s%s\n", l.phase, l.done, l.total, label, eta)
}

func (l *lines) Log(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "nswasi: "+format+"\n", args...)
}

func (l *lines) Finish() {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "nswasi: %s done in %s\n", l.phase, time.Since(l.start).Round(time.Second))
}

type bar struct {
	mu sync.Mutex
	w  io.Writer
	pb *progressbar.ProgressBar
}

func (b *bar) Phase(name string, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pb = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)
}

func (b *bar) Step(label string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		b.pb.Describe(label)
		_ = b.pb.Add(1)
	}
}

func (b *bar) Log(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Clear()
	}
	fmt.Fprintf(b.w, "nswasi: "+format+"\n", args...)
	if b.pb != nil {
		_ = b.pb.RenderBlank()
	}
}

func (b *bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Finish()
		b.pb = nil
	}
}
