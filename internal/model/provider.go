package model

import "encoding/json"

// KindProviderRecord is the kind of the records an infrastructure provider
// keeps in the store: the local provider's networks, ports (its IP
// allocations), routers, load balancers, volumes and attachments.
const KindProviderRecord Kind = "provider_record"

// ProviderRecord is one opaque record of an infrastructure provider: a JSON
// document under a record kind and an id. Its UUID is ProviderRecordID of
// the two, so that a record is found without a query.
type ProviderRecord struct {
	Meta `json:"-"`
	// RecordKind is the provider's own kind ("port", "router" …).
	RecordKind string `json:"kind"`
	// RecordID is the record's id within its kind.
	RecordID string          `json:"id"`
	Data     json.RawMessage `json:"data"`
}

// Kind implements Object.
func (*ProviderRecord) Kind() Kind { return KindProviderRecord }

// Index implements Object. Records are listed by their kind.
func (r *ProviderRecord) Index() Index {
	return Index{Name: r.RecordID, Parent: r.RecordKind}
}

// ProviderRecordID returns the UUID under which a provider record of kind
// and id is stored.
func ProviderRecordID(kind, id string) string { return "provider:" + kind + ":" + id }
