// Package local is the infrastructure provider that makes cloud primitives
// real on the local Linux host.
//
// Provider owns one manager each of machines (package machine), networks
// (network), load balancers (lb) and volumes (volume), keeps their records
// in a Store (Records puts them in Slipway's store), and implements the
// OpenStack resource types over them: Register adds OS::Nova::Server and
// ServerGroup, the OS::Neutron network types, the OS::Octavia load balancer
// types and OS::Cinder::Volume and VolumeAttachment to an orchestration
// registry. Reconcile brings the host in line with the store when Slipway
// starts: it adopts what runs, removes what no resource owns, and boots
// again the machines a host reboot stopped. Catalog is the fixed catalogue
// of images, flavors and networks. docs/local-provider.md describes what
// each type is on the host.
package local
