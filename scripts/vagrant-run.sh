#!/usr/bin/env bash
# Run `make run` in the Vagrant VM (provisioned by scripts/provision.sh, as
# CI is) and copy its results back to ./results on this machine.
#
# The Vagrantfile syncs the repository into the VM with rsync, one way:
# what the VM writes under /vagrant/results never reaches the host by
# itself. This script copies it back over the VM's ssh, even when the run
# failed or was interrupted (a partial report is still a report), and exits
# with the run's status.
#
#   scripts/vagrant-run.sh            # make run
#   scripts/vagrant-run.sh test       # make test (nothing to copy back)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-run}

vagrant up
status=0
vagrant ssh -c "cd /vagrant && sudo make $target" || status=$?
if [ "$target" != run ]; then
	exit "$status"
fi

# scp rather than `vagrant ssh -c tar`: vagrant ssh -c allocates a tty,
# which mangles binary output.
mkdir -p .vagrant results
cfg=.vagrant/nswasi-ssh-config
vagrant ssh-config >"$cfg"
host=$(awk '$1 == "Host" { print $2; exit }' "$cfg")
# -p keeps modification times, by which the newest report is found below.
if ! scp -q -r -p -F "$cfg" "$host:/vagrant/results" .; then
	echo "vagrant-run: could not copy /vagrant/results back from the VM" >&2
	exit 1
fi
report=$(ls -t results/*/report.html 2>/dev/null | head -n 1)
if [ -n "$report" ]; then
	echo "vagrant-run: the report is at $report (and ${report%.html}.md) on this machine"
else
	echo "vagrant-run: no report came back under results/" >&2
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
