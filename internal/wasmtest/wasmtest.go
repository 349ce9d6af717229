// Package wasmtest builds tiny WASI preview 1 commands byte by byte, for
// tests that need a module whose every instruction is known: no compiler,
// no toolchain, no third-party binaries.
package wasmtest

import (
	"encoding/binary"
)

// Program says what the command does, in this order: write Stdout, write
// Stderr, then end in exactly one way — the first of Loop, ReadStdin,
// Count, Preopen and Create that is set, or else proc_exit(Exit).
type Program struct {
	Stdout, Stderr string
	// Loop spins forever (a test that hangs).
	Loop bool
	// ReadStdin reads at most one byte from fd 0 and exits with
	// 2*errno + bytes read: 0 means end of file at once.
	ReadStdin bool
	// Count "args" or "env" exits with args_sizes_get's or
	// environ_sizes_get's count.
	Count string
	// Preopen exits with fd_prestat_get(3)'s errno: 0 when fd 3 is a
	// preopened directory, 8 (EBADF) when there is none.
	Preopen bool
	// Create opens this path beneath fd 3 with O_CREAT|O_EXCL and exits
	// with the errno: 0 when the file was made, 20 (EEXIST) when it was there.
	Create string
	// Exit is the status of proc_exit when nothing above ended the program.
	Exit int32
}

// Function indices: the imports, then _start.
const (
	fnProcExit = iota
	fnFdWrite
	fnFdRead
	fnArgsSizes
	fnEnvironSizes
	fnPrestatGet
	fnPathOpen
	fnStart
)

// Memory layout of the data the program uses.
const (
	iovStdout = 0    // {ptr, len} of the stdout text
	iovStderr = 16   // {ptr, len} of the stderr text
	iovStdin  = 32   // {ptr, 1} of the stdin buffer
	result    = 48   // nwritten, nread, counts, fd
	result2   = 52   // the second result of the *_sizes_get calls
	pathAt    = 512  // the Create path
	stdoutAt  = 1024 // stdout text (up to 1 KiB)
	stderrAt  = 2048 // stderr text (up to 1 KiB)
	stdinAt   = 4096
)

// Build returns the module's bytes.
func Build(p Program) []byte {
	i32 := byte(0x7f)
	i64 := byte(0x7e)
	types := vec(
		functype([]byte{i32}, nil),                                                 // 0: proc_exit
		functype([]byte{i32, i32, i32, i32}, []byte{i32}),                          // 1: fd_write, fd_read
		functype([]byte{i32, i32}, []byte{i32}),                                    // 2: *_sizes_get, fd_prestat_get
		functype([]byte{i32, i32, i32, i32, i32, i64, i64, i32, i32}, []byte{i32}), // 3: path_open
		functype(nil, nil),                                                         // 4: _start
	)
	imp := func(name string, typ byte) []byte {
		return cat(str("wasi_snapshot_preview1"), str(name), []byte{0x00, typ})
	}
	imports := vec(
		imp("proc_exit", 0), imp("fd_write", 1), imp("fd_read", 1),
		imp("args_sizes_get", 2), imp("environ_sizes_get", 2), imp("fd_prestat_get", 2),
		imp("path_open", 3),
	)
	exports := vec(
		cat(str("memory"), []byte{0x02, 0x00}),
		cat(str("_start"), []byte{0x00}, uleb(fnStart)),
	)

	var code []byte
	write := func(fd int32, iov int32) {
		code = cat(code, i32c(fd), i32c(iov), i32c(1), i32c(result), call(fnFdWrite), []byte{0x1a}) // drop errno
	}
	if p.Stdout != "" {
		write(1, iovStdout)
	}
	if p.Stderr != "" {
		write(2, iovStderr)
	}
	load := func(at int32) []byte { return cat(i32c(at), []byte{0x28, 0x02, 0x00}) } // i32.load align=4
	switch {
	case p.Loop:
		code = cat(code, []byte{0x03, 0x40, 0x0c, 0x00, 0x0b}) // loop br 0 end
		code = cat(code, i32c(0))
	case p.ReadStdin:
		code = cat(code, i32c(0), i32c(iovStdin), i32c(1), i32c(result), call(fnFdRead),
			i32c(2), []byte{0x6c}, // errno*2
			load(result), []byte{0x6a}) // + nread
	case p.Count == "args":
		code = cat(code, i32c(result), i32c(result2), call(fnArgsSizes), []byte{0x1a}, load(result))
	case p.Count == "env":
		code = cat(code, i32c(result), i32c(result2), call(fnEnvironSizes), []byte{0x1a}, load(result))
	case p.Preopen:
		code = cat(code, i32c(3), i32c(result), call(fnPrestatGet))
	case p.Create != "":
		code = cat(code,
			i32c(3), i32c(0), i32c(pathAt), i32c(int32(len(p.Create))),
			i32c(1|4),          // oflags: O_CREAT | O_EXCL
			[]byte{0x42, 0x7f}, // rights: all (i64.const -1)
			[]byte{0x42, 0x7f}, // inheriting: all
			i32c(0), i32c(result), call(fnPathOpen))
	default:
		code = cat(code, i32c(p.Exit))
	}
	code = cat(code, call(fnProcExit), []byte{0x0b})
	body := cat(uleb(0), code) // no locals

	le := func(a, b uint32) []byte {
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, a), b)
	}
	data := vec(
		segment(iovStdout, le(stdoutAt, uint32(len(p.Stdout)))),
		segment(iovStderr, le(stderrAt, uint32(len(p.Stderr)))),
		segment(iovStdin, le(stdinAt, 1)),
		segment(pathAt, []byte(p.Create)),
		segment(stdoutAt, []byte(p.Stdout)),
		segment(stderrAt, []byte(p.Stderr)),
	)
	return cat([]byte("\x00asm\x01\x00\x00\x00"),
		section(1, types),
		section(2, imports),
		section(3, vec([]byte{4})), // _start has type 4
		section(5, vec([]byte{0x00, 0x01})),
		section(7, exports),
		section(10, vec(cat(uleb(uint32(len(body))), body))),
		section(11, data),
	)
}

func functype(params, results []byte) []byte {
	return cat([]byte{0x60}, uleb(uint32(len(params))), params, uleb(uint32(len(results))), results)
}

func segment(at int32, b []byte) []byte {
	return cat([]byte{0x00}, i32c(at), []byte{0x0b}, uleb(uint32(len(b))), b)
}

func section(id byte, content []byte) []byte {
	return cat([]byte{id}, uleb(uint32(len(content))), content)
}

func vec(items ...[]byte) []byte {
	return cat(uleb(uint32(len(items))), cat(items...))
}

func str(s string) []byte { return cat(uleb(uint32(len(s))), []byte(s)) }

func call(fn uint32) []byte { return cat([]byte{0x10}, uleb(fn)) }

func i32c(n int32) []byte { return cat([]byte{0x41}, sleb(n)) }

func uleb(n uint32) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func sleb(n int32) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if (n == 0 && c&0x40 == 0) || (n == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
