package report

import (
	"slices"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// The report takes a run's kind from the file, not from its name: a WASI
// runner the registry has never heard of is a WASI column, measured
// against the native control, and a runner whose name merely starts with
// "wasi" but that the file records as native is not.
func TestReportUsesRecordedKind(t *testing.T) {
	runs := []results.Run{
		{Runner: "native", RunnerKind: runnerinfo.Native},
		{Runner: "wasmedge", RunnerKind: runnerinfo.WASI},
		{Runner: "wasi-lookalike", RunnerKind: runnerinfo.Native},
		{Runner: "wasi", WASIHost: "nswasi"}, // no kind recorded: the registry's
	}
	got := wasiLabelsIn(runs)
	if want := []string{"wasi (nswasi)", "wasmedge"}; !slices.Equal(got, want) {
		t.Errorf("WASI columns %q, want %q", got, want)
	}
	if c := nativeCounterpart("wasmedge"); c != "native" {
		t.Errorf("an unknown WASI runner is measured against %q, want native", c)
	}
	if c := nativeCounterpart("wasi+netns"); c != "netns" {
		t.Errorf("wasi+netns is measured against %q, want netns", c)
	}
	v := mainVariant([]results.Run{{Runner: "wasmedge", RunnerKind: runnerinfo.WASI, Conns: 1, Engine: "interp"}, {Runner: "native", Conns: 1, Engine: "native"}})
	if v.engine != "interp" {
		t.Errorf("variant engine %q: the recorded WASI run's engine was not taken", v.engine)
	}
}
