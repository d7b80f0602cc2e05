// Package policy decides who may do what, with Magnum's default rules:
// admin, member and reader roles scoped to a project.
package policy
