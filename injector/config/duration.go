package config

import (
	"encoding/json"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("30s", "1m").
// Unparseable text is kept and reported by Validate, which knows the field's
// path; the JSON decoder would not.
type Duration struct {
	d   time.Duration
	bad string // the text that did not parse, for Validate
}

// Dur makes a Duration.
func Dur(d time.Duration) Duration { return Duration{d: d} }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return d.d }

// IsZero reports whether the duration is unset.
func (d Duration) IsZero() bool { return d.d == 0 && d.bad == "" }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.d.String()) }

// UnmarshalJSON reads "30s"-style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		d.bad = string(b)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.bad = s
		return nil
	}
	*d = Duration{d: v}
	return nil
}
