// Package provider defines the infrastructure provider contracts: the
// catalogue of images, flavors and networks that templates are validated
// against, and Servers, a provider's live view of its servers.
// Implementations live in child packages; providertest is the conformance
// suite each of them passes.
package provider
