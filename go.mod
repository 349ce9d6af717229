module github.com/nswasi/nswasi

go 1.26.0

require (
	github.com/tetratelabs/wazero v1.12.0
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.50.0
)

require (
	go.uber.org/goleak v1.3.0
	gonum.org/v1/gonum v0.17.0
)
