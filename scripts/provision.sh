#!/usr/bin/env bash
# Installs what nswasi's build and tests need on a Debian or Ubuntu machine.
# Used by .ci/run (so it runs on every CI run). Go itself must already be
# installed (1.26 or newer); Go modules are fetched by the go command.
set -euo pipefail
need=()
command -v make >/dev/null || need+=(make)
command -v ip >/dev/null || need+=(iproute2)
# iperf3: the fidelity reference of nswasi bench (and its tests, when present).
command -v iperf3 >/dev/null || need+=(iperf3)
if [ ${#need[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y "${need[@]}"
fi
go version
