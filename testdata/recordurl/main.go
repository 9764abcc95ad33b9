// Command recordurl is a stand-in browser for the Windows tests: it
// writes the address it is asked to open to the file that
// MWPROVISION_TEST_URL_OUT names.
package main

import "os"

func main() {
	if len(os.Args) != 2 {
		os.Exit(2)
	}
	if err := os.WriteFile(os.Getenv("MWPROVISION_TEST_URL_OUT"), []byte(os.Args[1]), 0o600); err != nil {
		os.Exit(1)
	}
}
