package main

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// getConsoleProcessList is kernel32's GetConsoleProcessList, which
// golang.org/x/sys/windows does not wrap.
var getConsoleProcessList = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetConsoleProcessList")

// consoleProcesses says how many processes are attached to this process's
// console, this one included, or why Windows cannot tell (no console).
func consoleProcesses() (int, error) {
	if err := getConsoleProcessList.Find(); err != nil {
		return 0, err
	}
	// It fills the buffer with the ids of the processes attached and
	// returns how many there are (more than the buffer holds when it is
	// too small, leaving it unfilled), or 0 when it fails.
	var ids [4]uint32
	n, _, err := getConsoleProcessList.Call(uintptr(unsafe.Pointer(&ids[0])), uintptr(len(ids)))
	if n == 0 {
		return 0, err
	}
	return int(n), nil
}

// startedByDoubleClick says whether mwprovision is alone on its console:
// Explorer, asked to start a console program, makes a console for it
// alone, which closes when it ends; a shell (cmd, PowerShell, Windows
// Terminal's) shares its own, so two processes or more are attached.
// False when Windows cannot tell.
func startedByDoubleClick() bool {
	n, err := consoleProcesses()
	return err == nil && n == 1
}
