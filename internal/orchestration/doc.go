// Package orchestration groups Slipway's Heat-compatible template engine:
// hot parses, validates and evaluates HOT templates; plan decides, purely,
// what an operation does to each resource; engine applies plans through
// resource plugins, persisting every transition so that a restarted
// conductor resumes; resources holds the plugin contract and registry,
// resources/heat the OS::Heat::* types and resources/schema the OpenStack
// types' schemas. docs/design/orchestration.md describes the contracts.
package orchestration
