package pgembed

import "syscall"

// setParentDeathSignal makes the kernel send sig to the child when the supervising
// process dies, so a crashed server does not leave an orphaned postgres holding the data
// directory.
func setParentDeathSignal(attr *syscall.SysProcAttr, sig syscall.Signal) {
	attr.Pdeathsig = sig
}
