//go:build unix

package wikitest

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// childAttr: own process group, so Stop can kill php and its workers.
func childAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// detachedAttr: own session, so the server survives its starter and the
// starter's terminal.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// killGroup SIGKILLs the process group pgid; a vanished group is fine.
func killGroup(pgid int) error {
	if pgid <= 1 {
		return errors.New("refusing to kill process group <= 1")
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// isServerProcess reports whether pid exists and is a php -S serving
// htdocs, run in root ("/", or the chroot of its release: a wiki's htdocs
// in a chroot may have the path of another's on this system). Where /proc
// is missing it trusts any existing pid. A zombie (php's master died, its
// workers may live on in its group) counts.
func isServerProcess(pid int, root, htdocs string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if _, err := os.Stat("/proc/self"); err != nil {
		return true
	}
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
		return true
	}
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return false
	}
	args := bytes.Split(cmdline, []byte{0})
	var hasS, hasDocroot bool
	for _, a := range args {
		hasS = hasS || string(a) == "-S"
		hasDocroot = hasDocroot || string(a) == htdocs
	}
	if !hasS || !hasDocroot {
		return false
	}
	if link, err := os.Readlink(proc + "/root"); err == nil && link != root {
		return false
	}
	return true
}
