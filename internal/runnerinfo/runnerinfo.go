// Package runnerinfo is the registry of nswasi's runners: the one place
// that declares each runner's name, kind, firewall, display order, and the
// colour and marker it is drawn with, and the WASI hosts a WASI runner can
// run under. Everything else — the CLI, the isolation suite, the
// benchmarks, experiment validation, the result files and the report —
// asks it, so a runner is added by adding an entry here and its
// constructor in package runners.
//
// It is a leaf: it imports nothing of nswasi, so the report can read the
// registry without linking the sandboxes (see RATIONALE.md).
package runnerinfo

import (
	"image/color"
	"slices"
	"strings"
)

// Kind says what a runner runs and how it confines it.
type Kind string

// The kinds of runner.
const (
	// Native runs the native executable as a plain child: the control.
	Native Kind = "native"
	// Namespace runs the native executable in a network namespace.
	Namespace Kind = "namespace"
	// WASI runs the .wasm module under a WASI host.
	WASI Kind = "wasi"
)

// The WASI hosts a WASI runner can link a guest against.
const (
	// HostWazero is wazero's own wasi_snapshot_preview1.
	HostWazero = "wazero"
	// HostNswasi is nswasi's preview 1 host (package wasip1).
	HostNswasi = "nswasi"
)

// Hosts lists the WASI hosts, in display order.
var Hosts = []string{HostWazero, HostNswasi}

// LegacyHost is the WASI host of results written before the host was
// recorded (schema version 1): wazero's was then the only one.
const LegacyHost = HostWazero

// Marker names a series marker; the report draws each one.
type Marker string

// The markers. The solid ones stay visible under a confidence whisker.
const (
	Circle        Marker = "circle"
	Box           Marker = "box"
	Cross         Marker = "cross"
	TriangleUp    Marker = "triangle-up"
	TriangleDown  Marker = "triangle-down"
	Diamond       Marker = "diamond"
	HollowDiamond Marker = "hollow-diamond"
)

// Style is how one series is drawn in every figure.
type Style struct {
	Colour color.RGBA
	Marker Marker
}

// Colours of the Okabe-Ito palette (Okabe & Ito 2008), which stays
// distinct under the common colour-vision deficiencies. Black is left out:
// axes, text and mismatch marks use it.
var (
	Blue          = color.RGBA{0x00, 0x72, 0xB2, 0xff}
	Orange        = color.RGBA{0xE6, 0x9F, 0x00, 0xff}
	Yellow        = color.RGBA{0xF0, 0xE4, 0x42, 0xff}
	ReddishPurple = color.RGBA{0xCC, 0x79, 0xA7, 0xff}
	BluishGreen   = color.RGBA{0x00, 0x9E, 0x73, 0xff}
	Vermillion    = color.RGBA{0xD5, 0x5E, 0x00, 0xff}
	SkyBlue       = color.RGBA{0x56, 0xB4, 0xE9, 0xff}
)

// Runner declares one runner.
type Runner struct {
	// Name is the runner's name on the command line and in result files.
	Name string
	Kind Kind
	// Netns is set when the guest, or a WASI runner's host process, runs in
	// a fresh network namespace (always for Kind Namespace).
	Netns bool
	// Firewall is set when a deny-by-default nftables firewall admits only
	// the granted listeners.
	Firewall bool
	// Summary says in one line what the runner does.
	Summary string
	// Styles holds the runner's style per WASI host: one per entry of
	// Hosts for a WASI runner, one under "" for any other.
	Styles map[string]Style
}

// WASI reports whether the runner runs .wasm modules.
func (r Runner) WASI() bool { return r.Kind == WASI }

// HostsOf lists the WASI hosts the runner runs under: Hosts for a WASI
// runner, the single "" (no host) for any other.
func (r Runner) HostsOf() []string {
	if r.WASI() {
		return Hosts
	}
	return []string{""}
}

// All lists the runners in display order, the unsandboxed control first.
// Colours keep what each runner had before there were two WASI hosts
// (native blue, netns orange, wasi and wasi+netns on wazero reddish purple
// and vermillion); the pale yellow goes to netns+fw, which the benchmarks
// leave out by default.
var All = []Runner{
	{Name: "native", Kind: Native,
		Summary: "a plain child process: the unsandboxed control",
		Styles:  map[string]Style{"": {Blue, Circle}}},
	{Name: "netns", Kind: Namespace, Netns: true,
		Summary: "the native guest in a fresh network namespace with a veth pair to the host",
		Styles:  map[string]Style{"": {Orange, Box}}},
	{Name: "netns+fw", Kind: Namespace, Netns: true, Firewall: true,
		Summary: "netns plus a deny-by-default nftables firewall admitting only the granted listeners",
		Styles:  map[string]Style{"": {Yellow, Cross}}},
	{Name: "wasi", Kind: WASI,
		Summary: "the .wasm in wazero with capability preopens only, in a child process",
		Styles:  map[string]Style{HostWazero: {ReddishPurple, TriangleUp}, HostNswasi: {BluishGreen, Diamond}}},
	{Name: "wasi+netns", Kind: WASI, Netns: true,
		Summary: "the wasi runner's host process inside a fresh network namespace: both sandboxes",
		Styles:  map[string]Style{HostWazero: {Vermillion, TriangleDown}, HostNswasi: {SkyBlue, HollowDiamond}}},
}

// Compared lists the runners the benchmarks compare by default: the
// control, each sandbox alone, and both together. (netns+fw costs what
// netns costs plus a few nftables rules; name it to measure it.)
var Compared = []string{"native", "netns", "wasi", "wasi+netns"}

// Lookup finds a runner by name.
func Lookup(name string) (Runner, bool) {
	for _, r := range All {
		if r.Name == name {
			return r, true
		}
	}
	return Runner{}, false
}

// KindOf is a runner's kind, or "" for a name the registry does not know.
func KindOf(name string) Kind {
	r, _ := Lookup(name)
	return r.Kind
}

// Names lists the runner names in display order.
func Names() []string {
	n := make([]string, len(All))
	for i, r := range All {
		n[i] = r.Name
	}
	return n
}

// Counterpart is the non-WASI runner a WASI runner is measured against:
// the one that differs from it by WASI alone (same network namespace, same
// firewall), so that the namespace's own cost never counts as WASI's. A
// runner that is not WASI, or has none, is its own.
func Counterpart(name string) string {
	w, ok := Lookup(name)
	if !ok || !w.WASI() {
		return name
	}
	for _, r := range All {
		if !r.WASI() && r.Netns == w.Netns && r.Firewall == w.Firewall {
			return r.Name
		}
	}
	return name
}

// Label names a runner as tables and figures show it: the runner alone,
// or for a WASI runner the runner and its WASI host, e.g. "wasi (nswasi)".
func Label(runner, host string) string {
	if host == "" {
		return runner
	}
	return runner + " (" + host + ")"
}

// ParseLabel splits a Label into runner and host.
func ParseLabel(label string) (runner, host string) {
	r, h, found := strings.Cut(label, " (")
	if !found || !strings.HasSuffix(h, ")") {
		return label, ""
	}
	return r, strings.TrimSuffix(h, ")")
}

// Series is one runner under one WASI host ("" for a non-WASI runner):
// what one line or bar of a figure shows.
type Series struct {
	Runner Runner
	Host   string
	Style  Style
}

// Label is the series' label.
func (s Series) Label() string { return Label(s.Runner.Name, s.Host) }

// AllSeries lists every runner under each of its hosts, in display order:
// All's order, a WASI runner once per entry of Hosts.
func AllSeries() []Series {
	var out []Series
	for _, r := range All {
		for _, h := range r.HostsOf() {
			out = append(out, Series{Runner: r, Host: h, Style: r.Styles[h]})
		}
	}
	return out
}

// SeriesOf finds the series of a label. A WASI runner without a host is
// a result from before hosts were recorded: LegacyHost's series.
func SeriesOf(label string) (Series, bool) {
	runner, host := ParseLabel(label)
	r, ok := Lookup(runner)
	if !ok {
		return Series{}, false
	}
	if host == "" && r.WASI() {
		host = LegacyHost
	}
	if !slices.Contains(r.HostsOf(), host) {
		return Series{}, false
	}
	return Series{Runner: r, Host: host, Style: r.Styles[host]}, true
}
