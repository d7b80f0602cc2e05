// Package providertest is the conformance suite of infrastructure
// providers. Run drives a provider's plugins for every OpenStack resource
// type as the orchestration engine does: create, attributes, re-apply under
// the same physical id (the engine's resume after a crash), update in place,
// delete, and delete again of what is already gone. Each provider's own
// tests run it against the real thing.
package providertest
