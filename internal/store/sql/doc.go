// Package sql is the SQL storage backend: one engine over database/sql that
// speaks two dialects, SQLite (pure Go, the embedded default) and PostgreSQL
// (for several Slipway processes sharing one database).
//
// Objects live in one table, objects, as a JSON document plus the columns the
// store indexes them by (model.Index). Secrets live in the secrets table,
// sealed with a secrets.Box, so their plaintext never reaches the database.
// Open applies the embedded migrations; concurrent Opens are safe.
package sql
