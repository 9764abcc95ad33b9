//go:build !unix

package wikitest

import (
	"errors"
	"syscall"
)

var errUnsupported = errors.New("wikitest: needs a Unix system (Debian with MediaWiki and PHP)")

func childAttr() *syscall.SysProcAttr          { return nil }
func detachedAttr() *syscall.SysProcAttr       { return nil }
func killGroup(int) error                      { return errUnsupported }
func isServerProcess(int, string, string) bool { return false }
