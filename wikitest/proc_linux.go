package wikitest

import "syscall"

// setPdeathsig makes the kernel SIGKILL the child when the thread that
// started it dies. (The watchdog shell is what reliably takes php's
// workers down with the Go process; this is a second line of defence.)
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
