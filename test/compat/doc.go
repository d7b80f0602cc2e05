// Package compat proves wire compatibility with the real clients Magnum
// users run: gophercloud v2 and the stock openstack CLI, against a real
// Slipway server on a loopback port.
package compat
