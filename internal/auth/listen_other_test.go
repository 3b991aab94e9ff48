//go:build !windows

package auth

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestIPv6Absent(t *testing.T) {
	bind := func(errno syscall.Errno) error {
		return fmt.Errorf("listen for the login callback on [::1]:47613: %w",
			&net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", errno)})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{bind(syscall.EADDRNOTAVAIL), true},
		{bind(syscall.EAFNOSUPPORT), true},
		{bind(syscall.EADDRINUSE), false},
		{bind(syscall.EACCES), false},
		{nil, false},
	} {
		if got := ipv6Absent(tc.err); got != tc.want {
			t.Errorf("ipv6Absent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
