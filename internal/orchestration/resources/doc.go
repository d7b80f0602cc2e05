// Package resources is the contract between the orchestration engine and
// the implementations of resource types: the Plugin interface, what a
// plugin is given (Resource) and may ask of the engine (Host), and the
// Registry that maps type names to plugins. Implementations live in child
// packages (heat for OS::Heat::*, the providers for the infrastructure
// types); schema holds the schemas of the OpenStack types, so templates
// validate before a provider implements them.
package resources
