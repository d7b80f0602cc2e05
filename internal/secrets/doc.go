// Package secrets seals Slipway's secrets (CA keys, service-account keys,
// credentials) with AES-256-GCM under one key before they reach storage.
//
// The key is 32 random bytes, written base64-encoded. It comes from the
// environment variable named by EnvKey (parse it with ParseKey) or from a
// file in the data directory (LoadOrCreateKey). Callers give the environment
// precedence: a key set there is used as is, and the key file is neither
// read nor created. Losing the key loses every secret sealed under it.
package secrets
