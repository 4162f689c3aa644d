//go:build !linux

package patchmontest

import "syscall"

// childSysProcAttr keeps a server the kit starts out of the terminal's process group.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
