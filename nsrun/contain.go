package nsrun

import (
	"errors"
	"fmt"
	"os"

	"github.com/nswasi/nswasi/sandbox"
)

// contain makes a recorded cgroup for one native guest, or returns nil if
// this process cannot make cgroups (not root, or no cgroup v2): then only
// the guest's process group and its parent-death signal bound it, and a
// descendant that calls setsid or is orphaned can outlive it. The record
// is claimed before the cgroup exists, so that `nswasi clean` finds the
// cgroup after a SIGKILL at any point.
func contain(opts Options) (*containment, error) {
	if sandbox.CgroupRoot() == "" {
		return nil, nil
	}
	reg := &registry{dir: opts.stateDir()}
	for range idTries {
		id, err := newID()
		if err != nil {
			return nil, err
		}
		err = reg.reserve(Record{ID: id, Cgroup: Prefix + id})
		if errors.Is(err, errTaken) {
			continue
		}
		if err != nil {
			return nil, err
		}
		cg, err := sandbox.NewCgroup(Prefix + id)
		if errors.Is(err, os.ErrExist) {
			// Made since reserve looked, by an owner with another state
			// directory: not ours.
			if err := reg.remove(id); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, errors.Join(err, reg.remove(id))
		}
		return &containment{cg: cg, reg: reg, id: id}, nil
	}
	return nil, fmt.Errorf("create cgroup: %d IDs in a row were taken", idTries)
}

type containment struct {
	cg  *sandbox.Cgroup
	reg *registry
	id  string
}

// close kills whatever is left in the cgroup, removes it, and then its record.
func (c *containment) close() error {
	if err := c.cg.Close(); err != nil {
		return err // the record stays, so that clean can retry
	}
	return c.reg.remove(c.id)
}
