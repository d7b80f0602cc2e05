// Package quota implements `slipway quota`: list, show, create, update and
// delete per-project quotas.
package quota
