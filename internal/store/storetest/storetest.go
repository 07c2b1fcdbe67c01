package storetest

import "testing"

// Run runs the contract suite against stores made by open; each call of open returns a fresh,
// empty store, closed by open's own t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Helper()
	// The suite is being written; see the package tests.
	_ = open
}
