package auth

import (
	"errors"

	"golang.org/x/sys/windows"
)

// addrInUse reports whether a listen failed because another socket holds
// the address. Windows answers with its own socket error numbers, which
// syscall.EADDRINUSE does not match.
func addrInUse(err error) bool { return errors.Is(err, windows.WSAEADDRINUSE) }

// ipv6Absent reports whether binding [::1] failed because the machine has
// no IPv6 loopback (IPv6 disabled): then no other process can bind it
// either.
func ipv6Absent(err error) bool {
	return errors.Is(err, windows.WSAEADDRNOTAVAIL) || errors.Is(err, windows.WSAEAFNOSUPPORT)
}
