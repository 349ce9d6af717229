#!/usr/bin/env bash
# Installs what nswasi's build, tests and main job need on a Debian or Ubuntu
# machine, as root. .ci/run uses it on every CI run, and the Vagrantfile
# provisions its VM with it, so both install the same things.
#
# Go modules are fetched by the go command. Go itself (1.26 or newer) is
# taken as it is when present; a fresh VM without it gets the official
# release from go.dev (CI machines come with Go, so CI never downloads it).
set -euo pipefail
GO_VERSION=1.26.8

need=()
command -v make >/dev/null || need+=(make)
command -v ip >/dev/null || need+=(iproute2)
# The fidelity peers of nswasi bench: iperf3 (stream), sockperf (rr), wrk (http).
command -v iperf3 >/dev/null || need+=(iperf3)
command -v sockperf >/dev/null || need+=(sockperf)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl ca-certificates)
if [ ${#need[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${need[@]}"
fi

go_ok() {
	command -v go >/dev/null || return 1
	local v
	v=$(go env GOVERSION | sed 's/^go//')
	[ "$(printf '%s\n1.26\n' "$v" | sort -V | head -n1)" = "1.26" ]
}
if ! go_ok; then
	arch=$(dpkg --print-architecture)
	curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-${arch}.tar.gz" -o /tmp/go.tgz
	rm -rf /usr/local/go && tar -C /usr/local -xzf /tmp/go.tgz && rm /tmp/go.tgz
	ln -sf /usr/local/go/bin/go /usr/local/bin/go
fi
go version
