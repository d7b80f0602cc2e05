// Package engine applies HOT templates: it keeps stacks, their resources and
// events in the store, plans each operation with package plan and carries
// it out through resource plugins, concurrently where the dependency graph
// allows. Service is what the orchestration API calls; Service.Target is
// what the conductor's work queue runs. Every transition is persisted before
// the plugin call it announces, so an engine killed mid-operation resumes
// from the store and never creates a resource twice.
package engine
