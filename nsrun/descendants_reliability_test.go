package nsrun

import (
	"context"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/procmark"
	"github.com/nswasi/nswasi/sandbox"
)

// Every descendant of a native guest — in its process group, in a new
// session (setsid), orphaned by a double fork — dies when the guest is
// stopped, under both native runners, and the guest's cgroup goes too.
func TestDescendantsDieWithGuest(t *testing.T) {
	requireRoot(t)
	if sandbox.CgroupRoot() == "" {
		t.Skip("SKIP: no cgroup v2 hierarchy: nswasi cannot contain a native guest's descendants here (docs/reliability.md)")
	}
	opts := Options{StateDir: t.TempDir()}
	for _, r := range []sandbox.Runner{Native{Options: opts}, Netns{Options: opts}} {
		t.Run(r.Name(), func(t *testing.T) {
			mark := procmark.New("stop")
			defer procmark.Kill(mark)
			g, err := r.Start(context.Background(), sandbox.Spec{Artifact: procmark.EscapeScript(t, mark), Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			procmark.Wait(t, mark, "sleep", 3)
			recs, _ := (&registry{dir: opts.StateDir}).load()
			var cgroups []string
			for _, rec := range recs {
				if rec.Cgroup != "" {
					cgroups = append(cgroups, rec.Cgroup)
				}
			}
			if len(cgroups) != 1 {
				t.Errorf("records of cgroups while the guest runs: %v, want one", cgroups)
			}
			if res := g.Stop(); res.Err != nil {
				t.Errorf("stop: %v", res.Err)
			}
			procmark.GoneWithin(t, mark, 5*time.Second, "after Stop")
			objs, _ := Objects()
			for _, cg := range cgroups {
				for _, o := range objs {
					if o == "cgroup "+cg {
						t.Errorf("cgroup %s left after Stop", cg)
					}
				}
			}
			if recs, _ := (&registry{dir: opts.StateDir}).load(); len(recs) != 0 {
				t.Errorf("records left after Stop: %+v", recs)
			}
		})
	}
}
