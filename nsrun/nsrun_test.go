package nsrun

import (
	"os"
	"testing"
)

func isRoot() bool { return os.Geteuid() == 0 }

func TestMain(m *testing.M) {
	code := m.Run()
	// A helper process sees its siblings' namespaces: the parent test judges.
	helper := os.Getenv(helperEnv) != "" || os.Getenv(stressEnv) != ""
	if isRoot() && !helper {
		if objs, err := Objects(); err != nil || len(objs) > 0 {
			println("FAIL: left behind:", err, len(objs))
			code = 1
		}
	}
	os.Exit(code)
}
