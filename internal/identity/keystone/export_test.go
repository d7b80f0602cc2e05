package keystone

import "time"

// SetNow replaces v's clock, for tests.
func SetNow(v *Validator, now func() time.Time) { v.now = now }

// MaxCacheAge exports maxCacheAge to tests.
const MaxCacheAge = maxCacheAge
