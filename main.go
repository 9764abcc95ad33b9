// mwprovision: create user accounts on a MediaWiki wiki in bulk.
// Copyright (C) 2026 mwprovision developers
// SPDX-License-Identifier: GPL-2.0-or-later
//
// This program is free software; you can redistribute it and/or modify it
// under the terms of the GNU General Public License as published by the Free
// Software Foundation; either version 2 of the License, or (at your option)
// any later version. It is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE. See the GNU General
// Public License (the file LICENSE) for more details. The licences of the Go
// modules compiled into it are in THIRD_PARTY_LICENSES.md.

// Command mwprovision creates user accounts on a MediaWiki wiki in bulk,
// from a CSV sheet, through the Action API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	onInterrupt(cancel)
	args := os.Args
	if len(args) == 1 && startedByDoubleClick() {
		// Started from Explorer, in a console window of its own: the
		// organizer's console, rather than help text in a window that
		// closes at once.
		args = append(args, "ui")
	}
	os.Exit(run(ctx, args, systemStreams(), os.Getenv))
}

// onInterrupt makes the first Ctrl-C or SIGTERM wind the run down (no new
// request; those in flight finish and every row is recorded) and a second
// one end the process at once: the results file is valid at every row.
// Both signals are caught on one channel, so a second that comes quickly
// is never lost.
func onInterrupt(cancel context.CancelFunc) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		s := <-sigs
		// End as the signal ends a program, so that a shell sees it.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(s) == nil {
			time.Sleep(time.Second)
		}
		os.Exit(exitInterrupted) // where a process cannot signal itself (Windows)
	}()
}
