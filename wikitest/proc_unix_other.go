//go:build unix && !linux

package wikitest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
