// Package clitest runs slipway commands against a fake API in tests.
package clitest
