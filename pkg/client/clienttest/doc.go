// Package clienttest provides an in-process test double of Slipway's
// identity and Magnum APIs for tests of code built on pkg/client.
package clienttest
