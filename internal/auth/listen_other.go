//go:build !windows

package auth

import (
	"errors"
	"syscall"
)

// addrInUse reports whether a listen failed because another socket holds
// the address.
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// ipv6Absent reports whether binding [::1] failed because the machine has
// no IPv6 loopback (a kernel without IPv6, or IPv6 disabled): then no
// other process can bind it either.
func ipv6Absent(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)
}
