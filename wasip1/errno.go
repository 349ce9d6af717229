package wasip1

import (
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"
)

// Errno is a WASI preview 1 error number.
type Errno uint16

// The error numbers this host returns, as the specification numbers them.
const (
	ErrnoSuccess      Errno = 0
	Errno2big         Errno = 1
	ErrnoAcces        Errno = 2
	ErrnoAddrinuse    Errno = 3
	ErrnoAddrnotavail Errno = 4
	ErrnoAfnosupport  Errno = 5
	ErrnoAgain        Errno = 6
	ErrnoAlready      Errno = 7
	ErrnoBadf         Errno = 8
	ErrnoBusy         Errno = 10
	ErrnoCanceled     Errno = 11
	ErrnoConnaborted  Errno = 13
	ErrnoConnrefused  Errno = 14
	ErrnoConnreset    Errno = 15
	ErrnoDeadlk       Errno = 16
	ErrnoDquot        Errno = 19
	ErrnoExist        Errno = 20
	ErrnoFault        Errno = 21
	ErrnoFbig         Errno = 22
	ErrnoHostunreach  Errno = 23
	ErrnoIlseq        Errno = 25
	ErrnoInprogress   Errno = 26
	ErrnoIntr         Errno = 27
	ErrnoInval        Errno = 28
	ErrnoIo           Errno = 29
	ErrnoIsconn       Errno = 30
	ErrnoIsdir        Errno = 31
	ErrnoLoop         Errno = 32
	ErrnoMfile        Errno = 33
	ErrnoMlink        Errno = 34
	ErrnoMsgsize      Errno = 35
	ErrnoNametoolong  Errno = 37
	ErrnoNetdown      Errno = 38
	ErrnoNetreset     Errno = 39
	ErrnoNetunreach   Errno = 40
	ErrnoNfile        Errno = 41
	ErrnoNobufs       Errno = 42
	ErrnoNodev        Errno = 43
	ErrnoNoent        Errno = 44
	ErrnoNoexec       Errno = 45
	ErrnoNolck        Errno = 46
	ErrnoNomem        Errno = 48
	ErrnoNoprotoopt   Errno = 50
	ErrnoNospc        Errno = 51
	ErrnoNosys        Errno = 52
	ErrnoNotconn      Errno = 53
	ErrnoNotdir       Errno = 54
	ErrnoNotempty     Errno = 55
	ErrnoNotsock      Errno = 57
	ErrnoNotsup       Errno = 58
	ErrnoNotty        Errno = 59
	ErrnoNxio         Errno = 60
	ErrnoOverflow     Errno = 61
	ErrnoPerm         Errno = 63
	ErrnoPipe         Errno = 64
	ErrnoRange        Errno = 68
	ErrnoRofs         Errno = 69
	ErrnoSpipe        Errno = 70
	ErrnoSrch         Errno = 71
	ErrnoTimedout     Errno = 73
	ErrnoTxtbsy       Errno = 74
	ErrnoXdev         Errno = 75
	ErrnoNotcapable   Errno = 76
)

// errnoOf translates a host error. Errors this package makes itself are
// already Errnos.
func errnoOf(err error) Errno {
	if err == nil {
		return ErrnoSuccess
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	var ue unix.Errno
	if !errors.As(err, &ue) {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return ErrnoNoent
		case errors.Is(err, fs.ErrExist):
			return ErrnoExist
		case errors.Is(err, fs.ErrPermission):
			return ErrnoPerm
		}
		return ErrnoIo
	}
	if e, ok := unixErrnos[ue]; ok {
		return e
	}
	return ErrnoIo
}

// Error makes Errno an error, so that helpers can return it through error
// values unchanged.
func (e Errno) Error() string { return "wasi errno " + itoa(uint64(e)) }

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

var unixErrnos = map[unix.Errno]Errno{
	unix.E2BIG: Errno2big, unix.EACCES: ErrnoAcces, unix.EADDRINUSE: ErrnoAddrinuse,
	unix.EADDRNOTAVAIL: ErrnoAddrnotavail, unix.EAFNOSUPPORT: ErrnoAfnosupport,
	unix.EAGAIN: ErrnoAgain, unix.EALREADY: ErrnoAlready, unix.EBADF: ErrnoBadf,
	unix.EBUSY: ErrnoBusy, unix.ECANCELED: ErrnoCanceled, unix.ECONNABORTED: ErrnoConnaborted,
	unix.ECONNREFUSED: ErrnoConnrefused, unix.ECONNRESET: ErrnoConnreset,
	unix.EDEADLK: ErrnoDeadlk, unix.EDQUOT: ErrnoDquot, unix.EEXIST: ErrnoExist,
	unix.EFAULT: ErrnoFault, unix.EFBIG: ErrnoFbig, unix.EHOSTUNREACH: ErrnoHostunreach,
	unix.EILSEQ: ErrnoIlseq, unix.EINPROGRESS: ErrnoInprogress, unix.EINTR: ErrnoIntr,
	unix.EINVAL: ErrnoInval, unix.EIO: ErrnoIo, unix.EISCONN: ErrnoIsconn,
	unix.EISDIR: ErrnoIsdir, unix.ELOOP: ErrnoLoop, unix.EMFILE: ErrnoMfile,
	unix.EMLINK: ErrnoMlink, unix.EMSGSIZE: ErrnoMsgsize, unix.ENAMETOOLONG: ErrnoNametoolong,
	unix.ENETDOWN: ErrnoNetdown, unix.ENETRESET: ErrnoNetreset, unix.ENETUNREACH: ErrnoNetunreach,
	unix.ENFILE: ErrnoNfile, unix.ENOBUFS: ErrnoNobufs, unix.ENODEV: ErrnoNodev,
	unix.ENOENT: ErrnoNoent, unix.ENOEXEC: ErrnoNoexec, unix.ENOLCK: ErrnoNolck,
	unix.ENOMEM: ErrnoNomem, unix.ENOPROTOOPT: ErrnoNoprotoopt, unix.ENOSPC: ErrnoNospc,
	unix.ENOSYS: ErrnoNosys, unix.ENOTCONN: ErrnoNotconn, unix.ENOTDIR: ErrnoNotdir,
	unix.ENOTEMPTY: ErrnoNotempty, unix.ENOTSOCK: ErrnoNotsock, unix.EOPNOTSUPP: ErrnoNotsup,
	unix.ENOTTY: ErrnoNotty, unix.ENXIO: ErrnoNxio, unix.EOVERFLOW: ErrnoOverflow,
	unix.EPERM: ErrnoPerm, unix.EPIPE: ErrnoPipe, unix.ERANGE: ErrnoRange,
	unix.EROFS: ErrnoRofs, unix.ESPIPE: ErrnoSpipe, unix.ESRCH: ErrnoSrch,
	unix.ETIMEDOUT: ErrnoTimedout, unix.ETXTBSY: ErrnoTxtbsy, unix.EXDEV: ErrnoXdev,
}
