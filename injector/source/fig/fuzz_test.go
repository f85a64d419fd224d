package fig

import (
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bodies to Decode and maps what it accepts:
// neither may panic, and mapping a decoded payload never fails.
func FuzzDecode(f *testing.F) {
	f.Add(readFixture(f, "fixture_c_settings.json"))
	f.Add([]byte(`[{"Name":"A->B","IsSecret":true,"Value":{"$type":"Fig.Contracts.Settings.JsonSettingDataContract, Fig.Contracts","Value":"[1,{\"a\":null}]"}}]`))
	f.Add([]byte(`[{"name":"G","value":{"$type":"Fig.Contracts.Settings.DataGridSettingDataContract, Fig.Contracts","value":[{"Values":"2024-05-01T10:00:00Z"},{"x":[1,[2]]}]}}]`))
	f.Add([]byte(`[{"name":"D","value":{"$type":"Fig.Contracts.Settings.DateTimeSettingDataContract, Fig.Contracts","value":"2024-05-01T24:00:00+14:00"}}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		settings, err := Decode(data)
		if err != nil {
			return
		}
		entries := Map(settings, MapOptions{LoadTime: time.Unix(0, 0), IncludeMetadata: true})
		if len(entries) < 2 {
			t.Fatalf("metadata missing: %d entries", len(entries))
		}
		seen := map[string]bool{}
		for _, e := range entries {
			k := strings.ToLower(e.Key)
			if seen[k] {
				t.Fatalf("key %q twice", e.Key)
			}
			seen[k] = true
		}
	})
}
