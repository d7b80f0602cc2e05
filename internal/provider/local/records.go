package local

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Store keeps the provider's records: opaque JSON documents under a kind
// and an id. The network, load balancer and volume managers share it, so
// that the IP allocations and everything else survive restarts. Records
// returns one over Slipway's store; network.FileStore is one for tests.
type Store interface {
	// Put creates or replaces the record kind/id.
	Put(ctx context.Context, kind, id string, data []byte) error
	// Delete removes the record kind/id; a missing record is a success.
	Delete(ctx context.Context, kind, id string) error
	// List returns every record of kind, by id.
	List(ctx context.Context, kind string) (map[string][]byte, error)
}

// StoreRecords is a Store kept in Slipway's object store, as
// model.ProviderRecord objects: in the same SQLite or PostgreSQL database
// as the stacks whose resources the records describe.
type StoreRecords struct {
	st store.Store
}

var _ Store = (*StoreRecords)(nil)

// Records returns a Store over st.
func Records(st store.Store) *StoreRecords { return &StoreRecords{st: st} }

// Put implements Store. Concurrent writers of one record are serialised
// by the store's revisions; the last write wins.
func (s *StoreRecords) Put(ctx context.Context, kind, id string, data []byte) error {
	uuid := model.ProviderRecordID(kind, id)
	for attempt := 0; ; attempt++ {
		rec, err := store.Get[model.ProviderRecord](ctx, s.st, uuid)
		switch {
		case errors.Is(err, store.ErrNotFound):
			rec = &model.ProviderRecord{Meta: model.Meta{UUID: uuid}, RecordKind: kind, RecordID: id, Data: data}
			err = s.st.Create(ctx, rec)
		case err == nil:
			rec.Data = data
			err = s.st.Update(ctx, rec)
		}
		if err == nil {
			return nil
		}
		if attempt < 10 && (errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrRevisionMismatch)) {
			continue
		}
		return fmt.Errorf("put provider record %s/%s: %w", kind, id, err)
	}
}

// Delete implements Store.
func (s *StoreRecords) Delete(ctx context.Context, kind, id string) error {
	err := s.st.Delete(ctx, model.KindProviderRecord, model.ProviderRecordID(kind, id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete provider record %s/%s: %w", kind, id, err)
	}
	return nil
}

// List implements Store.
func (s *StoreRecords) List(ctx context.Context, kind string) (map[string][]byte, error) {
	recs, err := store.List[model.ProviderRecord](ctx, s.st, store.Query{Parent: kind})
	if err != nil {
		return nil, fmt.Errorf("list provider records %s: %w", kind, err)
	}
	out := make(map[string][]byte, len(recs))
	for _, r := range recs {
		out[r.RecordID] = r.Data
	}
	return out, nil
}
