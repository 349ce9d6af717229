// Package cli is nswasi's command line: the shape of a command (Command,
// declared once per command of cmd/nswasi) and the parsers of what users
// type, on the command line and in experiment files: grants (--listen,
// --dir, --env), lists, sizes, percentages and shards. Every parser refuses
// bad input with one usage.InputError line, which the CLI turns into exit
// status 2.
package cli

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
)

// ParseListen parses a --listen value, [HOST]:PORT. HOST is an IP address
// (IPv6 in brackets) or empty; names are never resolved.
func ParseListen(s string) (sandbox.Listen, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return sandbox.Listen{}, usage.BadInput("--listen %q: want [HOST]:PORT", s)
	}
	host, port := s[:i], s[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return sandbox.Listen{}, usage.BadInput("--listen %q: put an IPv6 address in brackets, [::1]:PORT", s)
	}
	if host != "" {
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" {
			return sandbox.Listen{}, usage.BadInput("--listen %q: HOST must be an IP address", s)
		}
		host = a.String()
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || port != strconv.Itoa(p) {
		return sandbox.Listen{}, usage.BadInput("--listen %q: PORT must be a number from 0 to 65535", s)
	}
	return sandbox.Listen{Host: host, Port: p}, nil
}

// ParseDir parses a --dir value, HOSTPATH:GUESTPATH[:ro] (or :rw). Paths
// containing ':' are not supported.
func ParseDir(s string) (sandbox.Dir, error) {
	parts := strings.Split(s, ":")
	d := sandbox.Dir{}
	switch {
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		d.ReadOnly = parts[2] == "ro"
	case len(parts) == 2:
	default:
		return sandbox.Dir{}, usage.BadInput("--dir %q: want HOSTPATH:GUESTPATH[:ro]", s)
	}
	d.HostPath, d.GuestPath = parts[0], parts[1]
	if d.HostPath == "" || d.GuestPath == "" {
		return sandbox.Dir{}, usage.BadInput("--dir %q: want HOSTPATH:GUESTPATH[:ro]", s)
	}
	if strings.ContainsRune(s, 0) {
		return sandbox.Dir{}, usage.BadInput("--dir %q: NUL in path", s)
	}
	return d, nil
}

// ParseEnv parses an --env value, K=V.
func ParseEnv(s string) (string, error) {
	k, _, ok := strings.Cut(s, "=")
	if !ok || k == "" || strings.ContainsAny(k, "\x00") || strings.ContainsRune(s, 0) {
		return "", usage.BadInput("--env %q: want KEY=VALUE", s)
	}
	return s, nil
}
