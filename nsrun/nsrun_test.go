package nsrun

import (
	"os"
	"testing"
)

func isRoot() bool { return os.Geteuid() == 0 }

func TestMain(m *testing.M) {
	code := m.Run()
	if isRoot() {
		if objs, err := Objects(); err != nil || len(objs) > 0 {
			println("FAIL: left behind:", err, len(objs))
			code = 1
		}
	}
	os.Exit(code)
}
