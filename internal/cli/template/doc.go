// Package template implements `slipway template`: list, show, create,
// update and delete cluster templates.
package template
