package model

import "time"

// Kind names a type of stored object.
type Kind string

// The kinds of stored objects.
const (
	KindClusterTemplate       Kind = "clustertemplate"
	KindCluster               Kind = "cluster"
	KindNodeGroup             Kind = "nodegroup"
	KindQuota                 Kind = "quota"
	KindProject               Kind = "project"
	KindUser                  Kind = "user"
	KindRole                  Kind = "role"
	KindRoleAssignment        Kind = "role_assignment"
	KindApplicationCredential Kind = "application_credential"
	KindToken                 Kind = "token"
)

// Meta is what the store keeps for every object outside its document: the
// row id, the identity, the revision used for optimistic concurrency and the
// timestamps. The store sets it; callers read it.
type Meta struct {
	ID        int64      `json:"-"`
	UUID      string     `json:"-"`
	Revision  int64      `json:"-"`
	CreatedAt time.Time  `json:"-"`
	UpdatedAt *time.Time `json:"-"`
}

// Index is the set of columns the store indexes an object by. Every field is
// derived from the object's own data.
type Index struct {
	Name      string
	ProjectID string
	// Parent is the UUID of the owning object (a nodegroup's cluster, a
	// token's user).
	Parent string
	// Ref is the UUID of a referenced object (a cluster's template).
	Ref string
}

// Object is anything the store persists.
type Object interface {
	Kind() Kind
	GetMeta() *Meta
	Index() Index
}

// GetMeta returns the object's metadata.
func (m *Meta) GetMeta() *Meta { return m }

// KindLease is a conductor's claim on an object it is working on.
const KindLease Kind = "lease"

// Lease says which conductor works an object, until when. Its UUID is the
// leased object's kind and UUID.
type Lease struct {
	Meta      `json:"-"`
	Holder    string    `json:"holder"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Kind implements Object.
func (*Lease) Kind() Kind { return KindLease }

// Index implements Object.
func (l *Lease) Index() Index { return Index{Name: l.Holder} }

// LeaseID returns the UUID of the lease on an object.
func LeaseID(kind Kind, uuid string) string { return string(kind) + ":" + uuid }
