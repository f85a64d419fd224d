package fig

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// thousandBody is a settings body with 1,000 settings of every kind.
func thousandBody() []byte {
	var parts []string
	for i := 0; i < 1000; i++ {
		switch i % 10 {
		case 0:
			parts = append(parts, setting(fmt.Sprintf("Svc%d->Name", i), "String", `"value-${MachineName}"`))
		case 1:
			parts = append(parts, setting(fmt.Sprintf("Int%d", i), "Int", `42`))
		case 2:
			parts = append(parts, setting(fmt.Sprintf("Long%d", i), "Long", `9000000000`))
		case 3:
			parts = append(parts, setting(fmt.Sprintf("Ratio%d", i), "Double", `0.125`))
		case 4:
			parts = append(parts, setting(fmt.Sprintf("On%d", i), "Bool", `true`))
		case 5:
			parts = append(parts, setting(fmt.Sprintf("Since%d", i), "DateTime", `"2024-05-01T10:00:00Z"`))
		case 6:
			parts = append(parts, setting(fmt.Sprintf("Timeout%d", i), "TimeSpan", `"00:00:30"`))
		case 7:
			parts = append(parts, setting(fmt.Sprintf("Db%d", i), "Json", `"{\"Host\":\"db\",\"Port\":5432,\"Opts\":[1,2]}"`))
		case 8:
			parts = append(parts, setting(fmt.Sprintf("Hosts%d", i), "DataGrid", `[{"$type":`+rowTypeJSON+`,"Values":"a"},{"$type":`+rowTypeJSON+`,"Values":"b"}]`))
		default:
			parts = append(parts, setting(fmt.Sprintf("Logins%d", i), "DataGrid", `[{"$type":`+rowTypeJSON+`,"User":"u","Password":"p","Tags":["x","y"]}]`))
		}
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

// thousandSettings is thousandBody decoded.
func thousandSettings(b *testing.B) []Setting {
	b.Helper()
	settings, err := Decode(thousandBody())
	if err != nil {
		b.Fatal(err)
	}
	return settings
}

func BenchmarkMap1000(b *testing.B) {
	settings := thousandSettings(b)
	opts := MapOptions{Constants: Constants{MachineName: "pod"}, LoadTime: time.Now(), IncludeMetadata: true}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(Map(settings, opts)); n < 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}

func BenchmarkDecode1000(b *testing.B) {
	settings := thousandSettings(b)
	_ = settings
	var parts []string
	for i := 0; i < 1000; i++ {
		parts = append(parts, setting(fmt.Sprintf("S%d", i), "String", `"v"`))
	}
	body := []byte("[" + strings.Join(parts, ",") + "]")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchToEntries1000 is the agent's path from a settings body to
// configuration entries (Decode then Map), the work done on every fetch.
func BenchmarkFetchToEntries1000(b *testing.B) {
	body := thousandBody()
	opts := MapOptions{Constants: Constants{MachineName: "pod"}, LoadTime: time.Now(), IncludeMetadata: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		settings, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(Map(settings, opts)); n < 1000 {
			b.Fatalf("%d entries", n)
		}
	}
}
