// Package pgtest gives tests a fresh PostgreSQL database of their own.
package pgtest
