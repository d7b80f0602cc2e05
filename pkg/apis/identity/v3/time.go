package v3

import (
	"encoding/json"
	"fmt"
	"time"
)

// Timestamp layouts Keystone writes.
const (
	// TimeLayout is how tokens show expires_at and issued_at.
	TimeLayout = "2006-01-02T15:04:05.000000Z"
	// TimeLayoutNoZ is how application credentials show expires_at.
	TimeLayoutNoZ = "2006-01-02T15:04:05.000000"
)

// Time is a UTC time written as TimeLayout, e.g. 2015-11-06T15:32:17.893769Z.
// It reads any ISO 8601 form Keystone clients send, with or without zone.
type Time struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeLayout))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	v, err := parseTime(b)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// TimeNoZ is a UTC time written as TimeLayoutNoZ, without a zone, as
// Keystone shows application credentials' expires_at.
type TimeNoZ struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t TimeNoZ) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeLayoutNoZ))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *TimeNoZ) UnmarshalJSON(b []byte) error {
	v, err := parseTime(b)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

// parseTime reads an ISO 8601 time; one without a zone is UTC.
func parseTime(b []byte) (time.Time, error) {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return time.Time{}, fmt.Errorf("time must be a string: %w", err)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not in ISO 8601 form", s)
}
