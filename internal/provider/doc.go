// Package provider defines the infrastructure provider contract: the
// catalogue of images, flavors and networks that templates are validated
// against. Implementations live in child packages.
package provider
