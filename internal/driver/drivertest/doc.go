// Package drivertest is an in-process COE driver for tests of cluster
// lifecycle semantics. It creates nothing real.
package drivertest
