package patchmontest

import "syscall"

// childSysProcAttr keeps a server the kit starts out of the terminal's process group and
// kills it if the test binary dies without reaching Main's clean-up.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
