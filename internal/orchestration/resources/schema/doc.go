// Package schema describes the OpenStack resource types a template may use
// (OS::Nova::*, OS::Neutron::*, OS::Octavia::*, OS::Cinder::*,
// OS::Glance::Image): their properties with types, allowed values,
// defaults and which ones change in place, and their attributes, written
// from Heat's resource type reference. The schemas belong to the engine, so
// templates validate before a provider implements the types; a provider
// supplies only the behaviour and returns Of(type) from its plugins'
// Schema methods.
package schema
