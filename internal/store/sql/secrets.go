package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/slipway/slipway/internal/store"
)

// errNoBox means the store was opened without a secrets.Box.
var errNoBox = errors.New("no secrets key configured")

// PutSecret seals data under name with the store's Box and stores the
// ciphertext, replacing any previous value.
func (w *writer) PutSecret(ctx context.Context, name string, data []byte) error {
	if w.box == nil {
		return fmt.Errorf("put secret %s: %w", name, errNoBox)
	}
	sealed, err := w.box.Seal(name, data)
	if err != nil {
		return fmt.Errorf("put secret %s: %w", name, err)
	}
	if _, err := w.q.ExecContext(ctx, w.d.rebind(`INSERT INTO secrets (name, ciphertext, created_at)
VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET ciphertext = excluded.ciphertext`),
		name, sealed, now()); err != nil {
		return fmt.Errorf("put secret %s: %w", name, err)
	}
	return nil
}

// GetSecret returns the secret stored under name, decrypted. A missing
// secret gives store.ErrNotFound.
func (w *writer) GetSecret(ctx context.Context, name string) ([]byte, error) {
	if w.box == nil {
		return nil, fmt.Errorf("get secret %s: %w", name, errNoBox)
	}
	var sealed []byte
	err := w.q.QueryRowContext(ctx, w.d.rebind("SELECT ciphertext FROM secrets WHERE name = ?"), name).Scan(&sealed)
	if errors.Is(err, stdsql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get secret %s: %w", name, err)
	}
	data, err := w.box.Open(name, sealed)
	if err != nil {
		return nil, fmt.Errorf("get secret: %w", err)
	}
	return data, nil
}

// DeleteSecrets removes every secret whose name starts with prefix; an
// empty prefix removes them all.
func (w *writer) DeleteSecrets(ctx context.Context, prefix string) error {
	// substr rather than LIKE: LIKE is case-insensitive in SQLite and
	// treats % and _ in prefix as wildcards.
	if _, err := w.q.ExecContext(ctx,
		w.d.rebind("DELETE FROM secrets WHERE substr(name, 1, ?) = ?"),
		utf8.RuneCountInString(prefix), prefix); err != nil {
		return fmt.Errorf("delete secrets %s*: %w", prefix, err)
	}
	return nil
}
