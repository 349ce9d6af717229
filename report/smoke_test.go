package report

import "testing"

func TestSmokePlots(t *testing.T) {
	d, err := Load("testdata/hostA", "testdata/hostB")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(d, "/tmp/rpt"); err != nil {
		t.Fatal(err)
	}
}
