package results

// ConformanceFile is the file name of a conformance result inside a result
// directory.
const ConformanceFile = "conformance.json"

// Outcomes of a conformance case.
const (
	// Pass: the exit code and every output the test sets matched.
	Pass = "pass"
	// Fail: the guest ran to its end and something did not match.
	Fail = "fail"
	// Timeout: the guest was killed because its time was up.
	Timeout = "timeout"
	// HostError: the sandbox could not run the guest at all (the host
	// refused the module, failed to start, or crashed); nothing was judged.
	HostError = "host_error"
)

// Conformance is conformance.json: WASI testsuite tests run under one or
// more WASI hosts.
type Conformance struct {
	SchemaVersion int         `json:"schema_version"`
	Environment   Environment `json:"environment"`
	// Partial is set when the run was interrupted before every case ran.
	Partial bool `json:"partial,omitempty"`
	// Config records the parameters the run was made with.
	Config ConformanceConfig  `json:"config,omitzero"`
	Hosts  []string           `json:"hosts"`
	Suites []ConformanceSuite `json:"suites"`
	Cases  []ConformanceCase  `json:"cases"`
	// Expectations compares one host's failures with a published list of
	// the tests that host is known to fail; nil when no list was given.
	Expectations *ConformanceExpectations `json:"expectations,omitempty"`
}

// ConformanceSuite is one folder of tests.
type ConformanceSuite struct {
	// Name is the suite's name from its manifest.json, or its folder.
	Name  string `json:"name"`
	Dir   string `json:"dir"`
	Tests int    `json:"tests"`
}

// ConformanceCase is one test under one host.
type ConformanceCase struct {
	Suite   string `json:"suite"`
	Test    string `json:"test"`
	Host    string `json:"host"`
	Outcome string `json:"outcome"` // Pass | Fail | Timeout | HostError
	// Reasons say why the case did not pass, one line each.
	Reasons []string `json:"reasons,omitempty"`
	// ExitCode is the exit status the guest's host process ended with;
	// WantExitCode is the test's.
	ExitCode     int `json:"exit_code"`
	WantExitCode int `json:"want_exit_code"`
	// Trapped is set when the guest trapped instead of exiting.
	Trapped bool `json:"trapped,omitempty"`
	// Stdout and Stderr are the ends of what the guest wrote (at most a few
	// KiB each), kept as evidence.
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	// WallS is the case's wall time in seconds, module compilation included.
	WallS float64 `json:"wall_s"`
	// ExpectedFailure is set when the host's published expectations list
	// this test as one the host fails.
	ExpectedFailure bool `json:"expected_failure,omitempty"`
}

// ConformanceExpectations is the comparison of one host's failures with a
// published list of the tests it is known to fail.
type ConformanceExpectations struct {
	Host string `json:"host"`
	// Source is the list's path.
	Source string `json:"source"`
	// Listed has one entry per test in the list.
	Listed []ExpectedFailure `json:"listed"`
	// Unexpected names the host's failures ("suite/test") the list does not have.
	Unexpected []string `json:"unexpected,omitempty"`
	// Agree is set when the host failed exactly the listed tests that ran.
	Agree bool `json:"agree"`
}

// ExpectedFailure is one test of an expectations list and what became of it.
type ExpectedFailure struct {
	Suite string `json:"suite"`
	Test  string `json:"test"`
	// Ran is false when the test is not in the folders that were run.
	Ran bool `json:"ran"`
	// Outcome is the case's outcome when it ran.
	Outcome string `json:"outcome,omitempty"`
}

// LoadConformance reads a conformance.json.
func LoadConformance(path string) (*Conformance, error) {
	var v Conformance
	if err := load(path, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
