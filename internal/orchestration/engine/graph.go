package engine

import (
	"context"
	"errors"
	"sync"
)

// task is one node of the graph an operation walks.
type task struct {
	id    string
	after []string
	run   func(ctx context.Context) error
}

// slots bounds how many plugin calls of one stack run at once. A plugin
// that waits for a signal gives its slot back while it waits (see
// Host.Wait), so that waiting resources never starve the ones that would
// signal them.
type slots chan struct{}

func (s slots) acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s slots) release() { <-s }

type slotKey struct{}

// withSlot marks ctx as holding one of s.
func withSlot(ctx context.Context, s slots) context.Context {
	return context.WithValue(ctx, slotKey{}, s)
}

// heldSlot returns the slots ctx holds one of, if any.
func heldSlot(ctx context.Context) (slots, bool) {
	s, ok := ctx.Value(slotKey{}).(slots)
	return s, ok
}

// walk runs every task once all the tasks it comes after have succeeded,
// at most len(sl) at a time. After the first failure it starts nothing
// new, lets what runs finish and returns every failure joined. Tasks whose
// prerequisites failed or never ran are skipped.
func walk(ctx context.Context, tasks []task, sl slots) error {
	if len(tasks) == 0 {
		return nil
	}
	index := make(map[string]int, len(tasks))
	for i, t := range tasks {
		index[t.id] = i
	}
	waiting := make([]int, len(tasks))
	next := make([][]int, len(tasks))
	for i, t := range tasks {
		for _, a := range t.after {
			if j, ok := index[a]; ok {
				waiting[i]++
				next[j] = append(next[j], i)
			}
		}
	}

	var (
		mu      sync.Mutex
		errs    []error
		running int
		wg      sync.WaitGroup
	)
	done := make(chan int, len(tasks))
	start := func(i int) {
		running++
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := sl.acquire(ctx)
			if err == nil {
				err = tasks[i].run(withSlot(ctx, sl))
				sl.release()
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				done <- -1 - i
				return
			}
			done <- i
		}()
	}
	for i := range tasks {
		if waiting[i] == 0 {
			start(i)
		}
	}
	failed := false
	for running > 0 {
		i := <-done
		running--
		if i < 0 {
			failed = true
			continue
		}
		if failed || ctx.Err() != nil {
			continue
		}
		for _, j := range next[i] {
			waiting[j]--
			if waiting[j] == 0 {
				start(j)
			}
		}
	}
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return errors.Join(errs...)
}
