// Package scripts tests the shell scripts beside it.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeVagrant stands for vagrant and scp: the "VM" is a directory, and
// `make run` writes a report into it unless FAKE_RUN_STATUS says it failed
// before writing one.
const fakeVagrant = `#!/usr/bin/env bash
set -e
echo "vagrant $*" >>"$FAKE_VM/calls"
case "$1" in
up) ;;
ssh)
	[ "$2" = -c ] || exit 64
	case "$3" in *"make run"*) ;; *) exit 0 ;; esac
	if [ "${FAKE_WRITES:-1}" = 1 ]; then
		mkdir -p "$FAKE_VM/vagrant/results/2026-01-01T000000Z" "$FAKE_VM/vagrant/results/2026-02-01T000000Z"
		echo old >"$FAKE_VM/vagrant/results/2026-01-01T000000Z/report.html"
		touch -d 2026-01-01 "$FAKE_VM/vagrant/results/2026-01-01T000000Z/report.html"
		echo new >"$FAKE_VM/vagrant/results/2026-02-01T000000Z/report.html"
	fi
	exit "${FAKE_RUN_STATUS:-0}" ;;
ssh-config) printf 'Host default\n  HostName 127.0.0.1\n  User vagrant\n' ;;
*) exit 64 ;;
esac
`

const fakeScp = `#!/usr/bin/env bash
# scp -q -r -p -F CFG default:/vagrant/results DEST
set -e
echo "scp $*" >>"$FAKE_VM/calls"
src=${@: -2:1}
dst=${@: -1}
[ "${src%%:*}" = default ] || exit 1
cp -a "$FAKE_VM${src#*:}" "$dst"
`

func runScript(t *testing.T, env ...string) (repo, out string, code int) {
	t.Helper()
	root := t.TempDir()
	repo = filepath.Join(root, "repo")
	bin := filepath.Join(root, "bin")
	vm := filepath.Join(root, "vm")
	for _, d := range []string{filepath.Join(repo, "scripts"), bin, vm} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script, err := os.ReadFile("vagrant-run.sh")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		filepath.Join(repo, "scripts", "vagrant-run.sh"): string(script),
		filepath.Join(bin, "vagrant"):                    fakeVagrant,
		filepath.Join(bin, "scp"):                        fakeScp,
	} {
		if err := os.WriteFile(name, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "vagrant-run.sh"))
	cmd.Dir = t.TempDir() // the script finds the repository itself
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_VM="+vm)
	cmd.Env = append(cmd.Env, env...)
	b, err := cmd.CombinedOutput()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return repo, string(b), code
}

// The VM's results come back to the host, and the script says where the
// newest report is: `vagrant ssh -c 'sudo make run'` alone left them in
// the VM, which the rsync synced folder never copies back.
func TestVagrantRunCopiesResultsBack(t *testing.T) {
	repo, out, code := runScript(t)
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	got, err := os.ReadFile(filepath.Join(repo, "results", "2026-02-01T000000Z", "report.html"))
	if err != nil || string(got) != "new\n" {
		t.Fatalf("report not copied back: %v %q\n%s", err, got, out)
	}
	if want := "the report is at results/2026-02-01T000000Z/report.html"; !strings.Contains(out, want) {
		t.Errorf("output does not name the newest report (%q):\n%s", want, out)
	}
}

// A failed run still brings back what it wrote, and keeps its status.
func TestVagrantRunFailedRunStillCopies(t *testing.T) {
	repo, out, code := runScript(t, "FAKE_RUN_STATUS=3")
	if code != 3 {
		t.Errorf("exit status %d, want the run's 3:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(repo, "results", "2026-02-01T000000Z", "report.html")); err != nil {
		t.Errorf("partial results not copied back: %v\n%s", err, out)
	}
}

// No results at all is a failure, said in one line.
func TestVagrantRunNoReport(t *testing.T) {
	_, out, code := runScript(t, "FAKE_WRITES=0")
	if code == 0 || !strings.Contains(out, "vagrant-run: could not copy /vagrant/results back") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}
