package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// opKind is what a batched write does.
type opKind int

const (
	opCreate opKind = iota
	opUpdate
	opDelete
	opDeleteWhere
)

// op is one write of a batch.
type op struct {
	kind  opKind
	obj   model.Object
	mkind model.Kind
	uuid  string
	query store.Query
}

func createOp(obj model.Object) op { return op{kind: opCreate, obj: obj} }
func updateOp(obj model.Object) op { return op{kind: opUpdate, obj: obj} }
func deleteOp(kind model.Kind, uuid string) op {
	return op{kind: opDelete, mkind: kind, uuid: uuid}
}
func deleteWhereOp(kind model.Kind, q store.Query) op {
	return op{kind: opDeleteWhere, mkind: kind, query: q}
}

// waiter is a caller waiting until the ops queued up to seq are settled.
type waiter struct {
	seq int64
	ch  chan error
}

// batcher commits the engine's writes in groups: whatever is queued when a
// transaction ends goes into the next one, so that many resources changing
// at once share a commit instead of paying one each. Writes commit in the
// order they were queued.
//
// The batcher tracks the revision of every object it writes, so callers
// hand it snapshots and never need the revision back. Objects written
// through it must not be written by anything else while it runs; the stack
// record, which the API also writes, goes straight to the store.
type batcher struct {
	st store.Store
	// window is how long the batcher waits for more writes after the first
	// of a batch arrives.
	window time.Duration
	max    int

	mu      sync.Mutex
	queue   []op
	queued  int64 // ops ever queued
	settled int64 // ops ever committed (or failed)
	waiters []waiter
	err     error // sticky: the first failed commit
	revs    map[string]int64
	kick    chan struct{}
	done    chan struct{}
	stop    chan struct{}
}

func newBatcher(st store.Store, window time.Duration) *batcher {
	b := &batcher{st: st, window: window, max: 2000, revs: map[string]int64{},
		kick: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	return b
}

// run commits batches until close is called; ctx bounds each transaction.
func (b *batcher) run(ctx context.Context) {
	defer close(b.done)
	for {
		select {
		case <-b.kick:
		case <-b.stop:
			b.commitAll(ctx)
			return
		}
		if b.window > 0 {
			t := time.NewTimer(b.window)
			select {
			case <-t.C:
			case <-b.stop:
				t.Stop()
			}
		}
		b.commitAll(ctx)
	}
}

func (b *batcher) commitAll(ctx context.Context) {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.release()
			b.mu.Unlock()
			return
		}
		n := min(len(b.queue), b.max)
		ops := b.queue[:n:n]
		b.queue = b.queue[n:]
		failed := b.err
		b.mu.Unlock()

		err := failed
		if err == nil {
			err = b.commit(ctx, ops)
		}
		b.mu.Lock()
		if err != nil && b.err == nil {
			b.err = err
		}
		b.settled += int64(n)
		b.release()
		b.mu.Unlock()
	}
}

// release answers the waiters whose writes are settled. b.mu is held.
func (b *batcher) release() {
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if w.seq <= b.settled {
			w.ch <- b.err
			continue
		}
		kept = append(kept, w)
	}
	b.waiters = kept
}

// coalesce folds successive writes of one object in a batch into one: the
// first write (a create or an update) carries the last state, writes of an
// object the batch deletes are dropped, and so is the delete of an object
// the batch created. Events and other writes stay as they are, in order.
func coalesce(ops []op) []op {
	type seen struct {
		last    int
		created bool
		deleted bool
	}
	objs := map[string]*seen{}
	for i, o := range ops {
		var id string
		switch o.kind {
		case opCreate, opUpdate:
			id = o.obj.GetMeta().UUID
		case opDelete:
			id = o.uuid
		}
		if id == "" {
			continue
		}
		s := objs[id]
		if s == nil {
			s = &seen{}
			objs[id] = s
		}
		switch o.kind {
		case opCreate:
			s.created, s.deleted, s.last = true, false, i
		case opUpdate:
			if !s.deleted {
				s.last = i
			}
		case opDelete:
			s.deleted = true
		}
	}
	out := make([]op, 0, len(ops))
	written := map[string]bool{}
	for _, o := range ops {
		switch o.kind {
		case opCreate, opUpdate:
			id := o.obj.GetMeta().UUID
			s := objs[id]
			if id == "" || s == nil {
				out = append(out, o)
				continue
			}
			if s.deleted || written[id] {
				continue
			}
			written[id] = true
			out = append(out, op{kind: o.kind, obj: ops[s.last].obj})
		case opDelete:
			if s := objs[o.uuid]; s != nil && s.created {
				continue
			}
			out = append(out, o)
		default:
			out = append(out, o)
		}
	}
	return out
}

// commit writes ops in one transaction.
func (b *batcher) commit(ctx context.Context, ops []op) error {
	ops = coalesce(ops)
	revs := map[string]int64{}
	err := b.st.InTx(ctx, func(tx store.Writer) error {
		for _, o := range ops {
			switch o.kind {
			case opCreate:
				if err := tx.Create(ctx, o.obj); err != nil {
					return err
				}
				revs[o.obj.GetMeta().UUID] = o.obj.GetMeta().Revision
			case opUpdate:
				m := o.obj.GetMeta()
				if r, ok := revs[m.UUID]; ok {
					m.Revision = r
				} else {
					b.mu.Lock()
					if r, ok := b.revs[m.UUID]; ok {
						m.Revision = r
					}
					b.mu.Unlock()
				}
				if err := tx.Update(ctx, o.obj); err != nil {
					return err
				}
				revs[m.UUID] = m.Revision
			case opDelete:
				if err := tx.Delete(ctx, o.mkind, o.uuid); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				revs[o.uuid] = -1
			case opDeleteWhere:
				if _, err := tx.DeleteWhere(ctx, o.mkind, o.query); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record stack changes: %w", err)
	}
	b.mu.Lock()
	for id, r := range revs {
		if r < 0 {
			delete(b.revs, id)
		} else {
			b.revs[id] = r
		}
	}
	b.mu.Unlock()
	return nil
}

// post queues writes without waiting for them. A failure surfaces from the
// next write or flush.
func (b *batcher) post(ops ...op) error {
	b.mu.Lock()
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return err
	}
	b.queue = append(b.queue, ops...)
	b.queued += int64(len(ops))
	b.mu.Unlock()
	b.wake()
	return nil
}

func (b *batcher) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// write queues writes and waits until they, and everything queued before
// them, are committed.
func (b *batcher) write(ctx context.Context, ops ...op) error {
	ch := make(chan error, 1)
	b.mu.Lock()
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return err
	}
	b.queue = append(b.queue, ops...)
	b.queued += int64(len(ops))
	if b.queued <= b.settled {
		b.mu.Unlock()
		return nil
	}
	b.waiters = append(b.waiters, waiter{seq: b.queued, ch: ch})
	b.mu.Unlock()
	b.wake()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush waits until every write queued so far is committed.
func (b *batcher) flush(ctx context.Context) error { return b.write(ctx) }

// close commits what is queued and stops the batcher.
func (b *batcher) close() error {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.waiters {
		w.ch <- b.err
	}
	b.waiters = nil
	return b.err
}
