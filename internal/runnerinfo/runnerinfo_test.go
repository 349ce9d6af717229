package runnerinfo

import (
	"fmt"
	"slices"
	"testing"
)

// checkRegistry is what every entry of a registry must satisfy; it takes
// the list so that a broken entry can be shown to fail it.
func checkRegistry(all []Runner, hosts []string) []error {
	var errs []error
	names := map[string]bool{}
	colours, markers := map[string]string{}, map[Marker]string{}
	for _, r := range all {
		if r.Name == "" || names[r.Name] {
			errs = append(errs, fmt.Errorf("runner %q: empty or declared twice", r.Name))
		}
		names[r.Name] = true
		switch r.Kind {
		case Native, WASI:
		case Namespace:
			if !r.Netns {
				errs = append(errs, fmt.Errorf("%s: kind namespace without Netns", r.Name))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: unknown kind %q", r.Name, r.Kind))
		}
		if r.Kind == Native && (r.Netns || r.Firewall) {
			errs = append(errs, fmt.Errorf("%s: kind native cannot be in a namespace or behind a firewall", r.Name))
		}
		if r.Summary == "" {
			errs = append(errs, fmt.Errorf("%s: no summary", r.Name))
		}
		want := []string{""}
		if r.Kind == WASI {
			want = hosts
		}
		if len(r.Styles) != len(want) {
			errs = append(errs, fmt.Errorf("%s: styles for %d hosts, want one for each of %q", r.Name, len(r.Styles), want))
		}
		for _, h := range want {
			s, ok := r.Styles[h]
			if !ok || s.Marker == "" || s.Colour.A == 0 {
				errs = append(errs, fmt.Errorf("%s: no style under host %q", Label(r.Name, h), h))
				continue
			}
			l, c := Label(r.Name, h), fmt.Sprint(s.Colour)
			if other, dup := colours[c]; dup {
				errs = append(errs, fmt.Errorf("%s and %s share colour %s", other, l, c))
			}
			if other, dup := markers[s.Marker]; dup {
				errs = append(errs, fmt.Errorf("%s and %s share marker %s", other, l, s.Marker))
			}
			colours[c], markers[s.Marker] = l, l
		}
	}
	return errs
}

func TestRegistry(t *testing.T) {
	for _, err := range checkRegistry(All, Hosts) {
		t.Error(err)
	}
	for _, n := range Compared {
		if _, ok := Lookup(n); !ok {
			t.Errorf("Compared names %q, which the registry does not declare", n)
		}
	}
	if !slices.Contains(Hosts, LegacyHost) {
		t.Errorf("LegacyHost %q is not a host", LegacyHost)
	}
}

// A runner added without a style, with a style missing for one host, or
// with another's colour fails the registry check.
func TestRegistryCheckCatchesBadEntries(t *testing.T) {
	noStyle := Runner{Name: "gvisor", Kind: Native, Summary: "x"}
	oneHost := Runner{Name: "wasi+fw", Kind: WASI, Firewall: true, Summary: "x",
		Styles: map[string]Style{HostWazero: {Colour: Blue, Marker: "star"}}}
	copied := Runner{Name: "netns2", Kind: Namespace, Netns: true, Summary: "x",
		Styles: map[string]Style{"": All[1].Styles[""]}}
	for _, bad := range []Runner{noStyle, oneHost, copied} {
		if errs := checkRegistry(append(slices.Clone(All), bad), Hosts); len(errs) == 0 {
			t.Errorf("registry with %+v passed the check", bad)
		}
	}
	// A new host is a new column every WASI runner must style.
	if errs := checkRegistry(All, append(slices.Clone(Hosts), "wasmtime")); len(errs) == 0 {
		t.Error("a third host without styles passed the check")
	}
}

func TestSeries(t *testing.T) {
	var labels []string
	for _, s := range AllSeries() {
		labels = append(labels, s.Label())
		if got, ok := SeriesOf(s.Label()); !ok || got.Style != s.Style {
			t.Errorf("SeriesOf(%q) = %v, %v; want %v", s.Label(), got.Style, ok, s.Style)
		}
	}
	want := []string{"native", "netns", "netns+fw", "wasi (wazero)", "wasi (nswasi)", "wasi+netns (wazero)", "wasi+netns (nswasi)"}
	if !slices.Equal(labels, want) {
		t.Errorf("series %q, want %q", labels, want)
	}
	// A WASI runner without a host is from a file older than the host:
	// wazero's series.
	old, ok := SeriesOf("wasi")
	if !ok || old.Host != HostWazero {
		t.Errorf("SeriesOf(wasi) = %+v, %v; want wazero's", old, ok)
	}
	for _, l := range []string{"docker", "wasi (wasmtime)", "native (wazero)", "iperf3"} {
		if s, ok := SeriesOf(l); ok {
			t.Errorf("SeriesOf(%q) = %+v, want none", l, s)
		}
	}
}

func TestCounterpart(t *testing.T) {
	for runner, want := range map[string]string{"wasi": "native", "wasi+netns": "netns", "netns": "netns", "native": "native", "docker": "docker"} {
		if got := Counterpart(runner); got != want {
			t.Errorf("Counterpart(%s) = %s, want %s", runner, got, want)
		}
	}
}

func TestParseLabel(t *testing.T) {
	for _, c := range []struct{ label, runner, host string }{
		{"wasi (nswasi)", "wasi", "nswasi"}, {"wasi+netns (wazero)", "wasi+netns", "wazero"}, {"netns+fw", "netns+fw", ""}, {"odd (", "odd (", ""},
	} {
		if r, h := ParseLabel(c.label); r != c.runner || h != c.host {
			t.Errorf("ParseLabel(%q) = %q, %q; want %q, %q", c.label, r, h, c.runner, c.host)
		}
	}
}
