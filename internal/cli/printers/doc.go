// Package printers renders command output as a table, JSON or YAML.
package printers
