// Package pki is the per-cluster certificate authority: it creates and loads
// cluster CAs, signs client CSRs the way Magnum does, issues component
// certificates and renders kubeconfigs.
package pki
