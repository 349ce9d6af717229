package report

import (
	"fmt"
	"strings"

	"github.com/nswasi/nswasi/internal/results"
)

// reasonLimit is how much of a case's reasons the table quotes: enough for
// a trap and the assertion or panic message with its source line.
const reasonLimit = 300

// confOutcomes are the outcomes of a conformance case, in table order.
var confOutcomes = []string{results.Pass, results.Fail, results.Timeout, results.HostError}

// confTally counts one host's cases by outcome, over one suite or all.
type confTally struct {
	total int
	by    map[string]int
}

func (t *confTally) add(outcome string) {
	if t.by == nil {
		t.by = map[string]int{}
	}
	t.total++
	t.by[outcome]++
}

// confHosts are the hosts of a conformance file: those it lists, then any
// that only its cases name.
func confHosts(c *results.Conformance) []string {
	hosts := append([]string(nil), c.Hosts...)
	for _, cs := range c.Cases {
		if indexOf(hosts, cs.Host) < 0 {
			hosts = append(hosts, cs.Host)
		}
	}
	return hosts
}

// confSuites are the suites in the file's order, then any only cases name.
func confSuites(c *results.Conformance) []string {
	var suites []string
	for _, s := range c.Suites {
		if indexOf(suites, s.Name) < 0 {
			suites = append(suites, s.Name)
		}
	}
	for _, cs := range c.Cases {
		if indexOf(suites, cs.Suite) < 0 {
			suites = append(suites, cs.Suite)
		}
	}
	return suites
}

// tallies counts the cases per host and suite; suite "" is every suite.
func tallies(c *results.Conformance) map[[2]string]*confTally {
	m := map[[2]string]*confTally{}
	get := func(k [2]string) *confTally {
		if m[k] == nil {
			m[k] = &confTally{}
		}
		return m[k]
	}
	for _, cs := range c.Cases {
		get([2]string{cs.Host, cs.Suite}).add(cs.Outcome)
		get([2]string{cs.Host, ""}).add(cs.Outcome)
	}
	return m
}

// conformanceSection is the conformance table: per WASI host and suite the
// tests that passed, failed, timed out or could not run, then every case
// that did not pass with its reasons.
func conformanceSection(doc *document, d *Data) {
	srcs := d.conformances()
	if len(srcs) == 0 {
		return
	}
	doc.h(2, "WASI conformance")
	doc.p("Tests of the WebAssembly WASI testsuite (wasi_snapshot_preview1) run by nswasi conformance under each WASI host, on the same " +
		"wazero engine: a case passes when the guest's exit code and every output the test sets match. \"host error\" means the host " +
		"could not run the guest at all, so nothing was judged.")
	for _, s := range srcs {
		c := s.Conformance
		if c.Partial {
			doc.warn("PARTIAL conformance results from %s: the run was interrupted before every case ran.", s.Label)
		}
		t := tallies(c)
		hosts, suites := confHosts(c), confSuites(c)
		var rows [][]string
		for _, h := range hosts {
			for _, su := range append(suites, "") {
				tl := t[[2]string{h, su}]
				if tl == nil {
					continue
				}
				name := su
				if su == "" {
					if len(suites) < 2 {
						continue // the one suite's row says it all
					}
					name = "all suites"
				}
				row := []string{h, name, fmt.Sprint(tl.total)}
				for _, o := range confOutcomes {
					row = append(row, fmt.Sprint(tl.by[o]))
				}
				rows = append(rows, row)
			}
		}
		doc.table([]string{"WASI host (" + s.Label + ")", "suite", "tests", "pass", "fail", "timeout", "host error"}, rows)

		var fails [][]string
		for _, h := range hosts {
			for _, cs := range c.Cases {
				if cs.Host != h || cs.Outcome == results.Pass {
					continue
				}
				known := "no"
				if cs.ExpectedFailure {
					known = "yes"
				}
				why := strings.Join(cs.Reasons, "; ")
				if why == "" {
					why = fmt.Sprintf("exit code %d, want %d", cs.ExitCode, cs.WantExitCode)
				}
				fails = append(fails, []string{h, cs.Suite, cs.Test, strings.ReplaceAll(cs.Outcome, "_", " "), known, cutText(why, reasonLimit)})
			}
		}
		if len(fails) == 0 {
			doc.p("%s: every case passed under every host.", s.Label)
		} else {
			doc.p("%s: %d case(s) did not pass; \"listed\" says whether the host's published list of known failures names the test. "+
				"Reasons are cut to about %d characters; conformance.json holds them whole, with the guest's output.", s.Label, len(fails), reasonLimit)
			doc.table([]string{"WASI host", "suite", "test", "outcome", "listed", "why"}, fails)
		}
		if e := c.Expectations; e != nil {
			ran := 0
			for _, l := range e.Listed {
				if l.Ran {
					ran++
				}
			}
			agree := "failed exactly the listed tests that ran"
			if !e.Agree {
				agree = "did not fail exactly the listed tests that ran"
			}
			t := fmt.Sprintf("%s: %s %s (%d listed in %s, %d of them ran)", s.Label, e.Host, agree, len(e.Listed), e.Source, ran)
			if len(e.Unexpected) > 0 {
				t += "; failures the list does not have: " + strings.Join(e.Unexpected, ", ")
			}
			doc.p("%s.", t)
		}
	}
}

// conformanceFindings states each host's pass count per conformance file.
func conformanceFindings(d *Data) []string {
	var out []string
	for _, s := range d.conformances() {
		pre := ""
		if len(d.Sources) > 1 {
			pre = s.Label + ": "
		}
		t := tallies(s.Conformance)
		var parts []string
		for _, h := range confHosts(s.Conformance) {
			tl := t[[2]string{h, ""}]
			if tl == nil {
				continue
			}
			p := fmt.Sprintf("%s passed %d of %d", h, tl.by[results.Pass], tl.total)
			var other []string
			for _, o := range confOutcomes[1:] {
				if n := tl.by[o]; n > 0 {
					other = append(other, fmt.Sprintf("%d %s", n, strings.ReplaceAll(o, "_", " ")))
				}
			}
			if len(other) > 0 {
				p += " (" + strings.Join(other, ", ") + ")"
			}
			parts = append(parts, p)
		}
		if len(parts) > 0 {
			partial := ""
			if s.Conformance.Partial {
				partial = " (PARTIAL run)"
			}
			out = append(out, fmt.Sprintf("%sWASI testsuite%s: %s.", pre, partial, strings.Join(parts, "; ")))
		}
	}
	return out
}
