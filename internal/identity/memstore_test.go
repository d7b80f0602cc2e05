package identity

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// memStore is a minimal in-memory store.Store for unit tests. Transactions
// are serialised and roll back on error; sorting is by id only.
type memStore struct {
	txMu    sync.Mutex
	mu      sync.Mutex
	nextID  int64
	objs    map[string]memObj
	secrets map[string][]byte
}

type memObj struct {
	kind model.Kind
	meta model.Meta
	idx  model.Index
	doc  []byte
}

func newMemStore() *memStore {
	return &memStore{objs: map[string]memObj{}, secrets: map[string][]byte{}}
}

func memKey(kind model.Kind, uuid string) string { return string(kind) + "/" + uuid }

func (m *memStore) Get(_ context.Context, id string, obj model.Object) error {
	m.mu.Lock()
	o, ok := m.objs[memKey(obj.Kind(), id)]
	m.mu.Unlock()
	if !ok {
		return store.ErrNotFound
	}
	return store.Decode(store.Record{Meta: o.meta, Doc: o.doc}, obj)
}

func (m *memStore) GetByID(_ context.Context, id int64, obj model.Object) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.objs {
		if o.kind == obj.Kind() && o.meta.ID == id {
			return store.Decode(store.Record{Meta: o.meta, Doc: o.doc}, obj)
		}
	}
	return store.ErrNotFound
}

func matches(o memObj, kind model.Kind, q store.Query) bool {
	return o.kind == kind &&
		(q.ProjectID == "" || q.ProjectID == o.idx.ProjectID) &&
		(q.Parent == "" || q.Parent == o.idx.Parent) &&
		(q.Ref == "" || q.Ref == o.idx.Ref) &&
		(q.Name == "" || q.Name == o.idx.Name)
}

func (m *memStore) sorted(kind model.Kind, q store.Query) []memObj {
	var out []memObj
	for _, o := range m.objs {
		if matches(o, kind, q) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b memObj) int { return int(a.meta.ID - b.meta.ID) })
	return out
}

func (m *memStore) List(_ context.Context, kind model.Kind, q store.Query) ([]store.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	objs := m.sorted(kind, q)
	if q.Marker != "" {
		i := slices.IndexFunc(objs, func(o memObj) bool { return o.meta.UUID == q.Marker })
		if i < 0 {
			return nil, store.ErrNotFound
		}
		objs = objs[i+1:]
	}
	if q.Limit > 0 && len(objs) > q.Limit {
		objs = objs[:q.Limit]
	}
	out := make([]store.Record, len(objs))
	for i, o := range objs {
		out[i] = store.Record{Meta: o.meta, Doc: slices.Clone(o.doc)}
	}
	return out, nil
}

func (m *memStore) Count(_ context.Context, kind model.Kind, q store.Query) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sorted(kind, q)), nil
}

func (m *memStore) Create(_ context.Context, obj model.Object) error {
	doc, err := store.Encode(obj)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	meta := obj.GetMeta()
	if meta.UUID == "" {
		meta.UUID = uuid.NewString()
	}
	key := memKey(obj.Kind(), meta.UUID)
	if _, ok := m.objs[key]; ok {
		return store.ErrExists
	}
	m.nextID++
	meta.ID, meta.Revision, meta.CreatedAt, meta.UpdatedAt = m.nextID, 1, time.Now().UTC(), nil
	m.objs[key] = memObj{kind: obj.Kind(), meta: *meta, idx: obj.Index(), doc: doc}
	return nil
}

func (m *memStore) Update(_ context.Context, obj model.Object) error {
	doc, err := store.Encode(obj)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	meta := obj.GetMeta()
	key := memKey(obj.Kind(), meta.UUID)
	o, ok := m.objs[key]
	if !ok {
		return store.ErrNotFound
	}
	if o.meta.Revision != meta.Revision {
		return store.ErrRevisionMismatch
	}
	now := time.Now().UTC()
	meta.ID, meta.CreatedAt = o.meta.ID, o.meta.CreatedAt
	meta.Revision++
	meta.UpdatedAt = &now
	m.objs[key] = memObj{kind: obj.Kind(), meta: *meta, idx: obj.Index(), doc: doc}
	return nil
}

func (m *memStore) Delete(_ context.Context, kind model.Kind, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := memKey(kind, id)
	if _, ok := m.objs[key]; !ok {
		return store.ErrNotFound
	}
	delete(m.objs, key)
	return nil
}

func (m *memStore) DeleteWhere(_ context.Context, kind model.Kind, q store.Query) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, o := range m.objs {
		if matches(o, kind, q) {
			delete(m.objs, k)
			n++
		}
	}
	return n, nil
}

func (m *memStore) PutSecret(_ context.Context, name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secrets[name] = slices.Clone(data)
	return nil
}

func (m *memStore) GetSecret(_ context.Context, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.secrets[name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return slices.Clone(d), nil
}

func (m *memStore) DeleteSecrets(_ context.Context, prefix string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.secrets {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			delete(m.secrets, k)
		}
	}
	return nil
}

func (m *memStore) InTx(_ context.Context, fn func(tx store.Writer) error) error {
	m.txMu.Lock()
	defer m.txMu.Unlock()
	m.mu.Lock()
	objs, secrets, nextID := maps.Clone(m.objs), maps.Clone(m.secrets), m.nextID
	m.mu.Unlock()
	if err := fn(m); err != nil {
		m.mu.Lock()
		m.objs, m.secrets, m.nextID = objs, secrets, nextID
		m.mu.Unlock()
		return err
	}
	return nil
}

func (m *memStore) Ping(context.Context) error { return nil }

func (m *memStore) Close() error { return nil }

var _ store.Store = (*memStore)(nil)
