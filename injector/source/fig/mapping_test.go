package fig

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

// entriesText renders entries as "Key=Value" for comparisons.
func entriesText(entries []source.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Key + "=" + e.Value.Reveal()
	}
	return out
}

func TestMapFixtureC(t *testing.T) {
	settings, err := Decode(readFixture(t, "fixture_c_settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	load := time.Date(2025, 1, 1, 10, 0, 0, 123456700, time.UTC)
	got := Map(settings, MapOptions{LoadTime: load, IncludeMetadata: true})

	type kv struct {
		Key, Value string
		Secret     bool
	}
	var gotKV []kv
	for _, e := range got {
		if e.Origin != source.OriginFig {
			t.Errorf("%s: origin %q", e.Key, e.Origin)
		}
		gotKV = append(gotKV, kv{e.Key, e.Value.Reveal(), e.Secret})
	}
	// The contract's table, minus the two null keys (Username and
	// MessageBus:Auth:Username), plus metadata.
	want := []kv{
		{"Location", "Melbourne", false},
		{"ApiKey", "plain-text-secret", true},
		{"RetryCount", "3", false},
		{"MaxBytes", "9000000000", false},
		{"Ratio", "0.5", false},
		{"Enabled", "True", false},
		{"Since", "2024-05-01T10:00:00.0000000Z", false},
		{"Timeout", "00:00:30", false},
		{"Db:Host", "db", false},
		{"Db:Port", "5432", false},
		{"Hosts:0", "a.example", false},
		{"Hosts:1", "b.example", false},
		{"Logins:0:Username", "user1", false},
		{"Logins:0:Password", "abc123", false},
		{"Logins:0:AnotherSecret", "", false},
		{"LastFigUpdateUtcTicks", "638713224001234567", false},
		{"FigSettingLoadType", "Server", false},
	}
	if diff := cmp.Diff(want, gotKV); diff != "" {
		t.Errorf("Map(Fixture C) mismatch (-want +got):\n%s", diff)
	}
}

// mapBody decodes a settings body and maps it.
func mapBody(t *testing.T, body string, opts MapOptions) []string {
	t.Helper()
	settings, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return entriesText(Map(settings, opts))
}

func setting(name, kind, value string) string {
	v := ""
	if value != "" {
		v = `,"value":` + value
	}
	return `{"name":"` + name + `","isSecret":false,"value":{"$type":"Fig.Contracts.Settings.` + kind + `SettingDataContract, Fig.Contracts"` + v + `}}`
}

func TestMapRules(t *testing.T) {
	consts := Constants{MachineName: "pod-1", User: "app", Domain: "pod-1", IPAddress: "10.0.0.7", ProcessorCount: "4", OSVersion: "Unix 6.8.0.45"}
	row := func(cells string) string { return `{"$type":` + rowTypeJSON + `,` + cells + `}` }
	tests := []struct {
		name     string
		settings []string
		want     []string
	}{
		{"nested simple gets simplified and joined keys", []string{setting("A->B->C", "String", `"x"`)}, []string{"C=x", "A:B:C=x"}},
		{"string <NULL> is null", []string{setting("E", "String", `"<NULL>"`)}, []string{}},
		{"constants", []string{setting("S", "String", `"${MachineName}/${User}/${Domain}/${IPAddress}/${ProcessorCount}/${OSVersion}/${Other}"`)},
			[]string{"S=pod-1/app/pod-1/10.0.0.7/4/Unix 6.8.0.45/${Other}"}},
		{"constants are case-sensitive", []string{setting("S", "String", `"${machinename}"`)}, []string{"S=${machinename}"}},
		{"bool", []string{setting("T", "Bool", `true`), setting("F", "Bool", `false`)}, []string{"T=True", "F=False"}},
		{"int and long", []string{setting("I", "Int", `-7`), setting("L", "Long", `9000000000`)}, []string{"I=-7", "L=9000000000"}},
		{"dates", []string{
			setting("Z", "DateTime", `"2024-05-01T10:00:00Z"`),
			setting("U", "DateTime", `"2024-05-01T10:00:00"`),
			setting("O", "DateTime", `"2024-05-01T10:00:00+02:00"`),
			setting("F", "DateTime", `"2024-05-01T10:00:00.1234567Z"`),
			setting("P", "DateTime", `"2024-05-01T10:00:00.12Z"`),
			setting("H", "DateTime", `"2024-05-01T24:00:00Z"`),
			setting("D", "DateTime", `"2024-05-01"`),
			setting("N", "DateTime", ``),
		}, []string{
			"Z=2024-05-01T10:00:00.0000000Z",
			"U=2024-05-01T10:00:00.0000000",
			"O=2024-05-01T10:00:00.0000000+02:00",
			"F=2024-05-01T10:00:00.1234567Z",
			"P=2024-05-01T10:00:00.1200000Z",
			"H=2024-05-02T00:00:00.0000000Z",
			"D=2024-05-01T00:00:00.0000000",
		}},
		{"doubles", []string{
			setting("A", "Double", `30.0`), setting("B", "Double", `0.5`), setting("C", "Double", `1E+20`),
			setting("D", "Double", `0.00001`), setting("E", "Double", `123456789012345678901.0`), setting("F", "Double", `-0.0`),
		}, []string{"A=30", "B=0.5", "C=1E+20", "D=1E-05", "E=1.2345678901234568E+20", "F=-0"}},
		{"time span as on the wire", []string{setting("T", "TimeSpan", `"1.02:03:04.5000000"`)}, []string{"T=1.02:03:04.5000000"}},
		{"null string left out", []string{setting("N", "String", ``), setting("M", "String", `null`)}, []string{}},
		{"base-type list", []string{setting("H", "DataGrid", `[`+row(`"Values":"a"`)+`,`+row(`"Values":"b"`)+`]`)}, []string{"H:0=a", "H:1=b"}},
		{"grid cells", []string{setting("G->X", "DataGrid", `[`+row(`"S":"${User}","N":null,"B":true,"I":5,"L":9000000000,"D":1.0,"E":1e-7,"T":"2024-05-01T10:00:00Z","O":"2024-05-01T10:00:00+02:00","M":"/Date(1714557600000)/","J":"2024-05-01","Q":"<NULL>"`)+`]`)},
			[]string{"G:X:0:S=app", "G:X:0:N=", "G:X:0:B=True", "G:X:0:I=5", "G:X:0:L=9000000000", "G:X:0:D=1", "G:X:0:E=1E-07",
				"G:X:0:T=05/01/2024 10:00:00", "G:X:0:O=05/01/2024 08:00:00", "G:X:0:M=05/01/2024 10:00:00", "G:X:0:J=2024-05-01"}},
		{"grid multi-select cell", []string{setting("G", "DataGrid", `[`+row(`"Name":"n","Tags":["a","${User}",2,true,null]`)+`]`)},
			[]string{"G:0:Name=n", "G:0:Tags:0=a", "G:0:Tags:1=${User}", "G:0:Tags:2=2", "G:0:Tags:3=True", "G:0:Tags:4="}},
		{"grid with one other column is not a list", []string{setting("G", "DataGrid", `[`+row(`"Value":"a"`)+`]`)}, []string{"G:0:Value=a"}},
		{"grid whose later rows differ", []string{setting("G", "DataGrid", `[`+row(`"Values":"a"`)+`,`+row(`"Values":"b","X":"c"`)+`]`)}, []string{"G:0=a", "G:1=c"}},
		{"empty grid", []string{setting("G", "DataGrid", `[]`)}, []string{}},
		{"null grid", []string{setting("G", "DataGrid", ``)}, []string{}},
		{"grid gets no simplified key", []string{setting("A->G", "DataGrid", `[`+row(`"Values":"a"`)+`]`)}, []string{"A:G:0=a"}},
		{"json", []string{setting("Db->Conn", "Json", `"{\"Host\":\"${MachineName}\",\"Port\":5432,\"Ratio\":1.50,\"On\":true,\"Off\":false,\"Nil\":null,\"Arr\":[1,{\"K\":\"v\"}],\"E\":{},\"F\":[],\"Q\":\"<NULL>\"}"`)},
			[]string{"Db:Conn:Arr:0=1", "Db:Conn:Arr:1:K=v", "Db:Conn:Host=pod-1", "Db:Conn:Nil=", "Db:Conn:Off=False", "Db:Conn:On=True", "Db:Conn:Port=5432", "Db:Conn:Ratio=1.50"}},
		// JsonValueParser's SortedDictionary(OrdinalIgnoreCase): upper-cased
		// UTF-16 units, so "_" (0x5F) follows letters, digits sort as text and
		// ":" (0x3A) precedes letters.
		{"json leaves sorted as Fig.Client sorts them", []string{setting("J", "Json", `"{\"b\":1,\"a_b\":2,\"ab\":3,\"A2\":4,\"a10\":5,\"x\":{\"z\":6},\"xa\":7}"`)},
			[]string{"J:a10=5", "J:A2=4", "J:ab=3", "J:a_b=2", "J:b=1", "J:x:z=6", "J:xa=7"}},
		{"json array root, comments, trailing commas", []string{setting("J", "Json", `"[1, /* two */ 2, // end\n]"`)}, []string{"J:0=1", "J:1=2"}},
		{"json gets no simplified key", []string{setting("A->J", "Json", `"{\"k\":1}"`)}, []string{"A:J:k=1"}},
		{"invalid json is left out", []string{setting("J", "Json", `"{nope"`), setting("K", "Json", `"{\"a\":1,\"A\":2}"`), setting("L", "Json", `"42"`)}, []string{}},
		{"null json", []string{setting("J", "Json", ``)}, []string{}},
		{"no value object is null", []string{`{"name":"X","value":null}`}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapBody(t, "["+strings.Join(tt.settings, ",")+"]", MapOptions{Constants: consts})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMapLaterWritesWin(t *testing.T) {
	// Fig.Client writes simple settings, then grids, then JSON into one
	// dictionary; later writes replace earlier ones and nulls remove them.
	body := "[" + strings.Join([]string{
		setting("Json", "Json", `"{\"k\":\"from-json\"}"`),
		setting("Json:k", "String", `"from-string"`),
		setting("Name", "String", `"top"`),
		setting("A->Name", "String", ``),
		setting("timeout", "String", `"lower"`),
		setting("B->Timeout", "String", `"nested"`),
		setting("G", "String", `"simple"`),
		setting("G", "DataGrid", ``),
	}, ",") + "]"
	got := mapBody(t, body, MapOptions{})
	// Json:k was written last by the JSON setting, so it is listed under it.
	want := []string{"Json:k=from-json", "timeout=nested", "B:Timeout=nested"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestMapSecretFlagAndWarn(t *testing.T) {
	body := `[{"name":"P","isSecret":true,"value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","value":"s3cret"}},` +
		setting("J", "Json", `"{bad"`) + `]`
	settings, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	entries := Map(settings, MapOptions{Warn: func(name string, err error) {
		if strings.Contains(err.Error(), "bad") {
			t.Errorf("warning quotes the value: %v", err)
		}
		warned = append(warned, name)
	}})
	if len(entries) != 1 || !entries[0].Secret || entries[0].Key != "P" {
		t.Errorf("entries = %v", entriesText(entries))
	}
	if diff := cmp.Diff([]string{"J"}, warned); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestConstructorsMapAsDecoded: a value built by a constructor carries the
// same typed value as the one Decode reads from its JSON, so both map to
// the same entries.
func TestConstructorsMapAsDecoded(t *testing.T) {
	built := []Setting{
		{Name: "S", Value: contract.StringValue("v-${MachineName}")},
		{Name: "J", Value: contract.JSONValue(`{"b":1,"a":[true,null]}`)},
		{Name: "Bad", Value: contract.JSONValue(`{"a":1,"A":2}`)},
		{Name: "I", Value: contract.IntValue(-7)},
		{Name: "L", Value: contract.LongValue(9000000000)},
		{Name: "D", Value: contract.DoubleValue(1e20)},
		{Name: "B", Value: contract.BoolValue(true)},
		{Name: "T", Value: contract.DateTimeValue(time.Date(2024, 5, 1, 10, 0, 0, 1234500, time.FixedZone("", 2*3600)))},
		{Name: "U", Value: contract.DateTimeValue(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))},
		{Name: "P", Value: contract.TimeSpanValue(90 * time.Minute)},
		{Name: "G", Value: contract.DataGridValue([]contract.Row{{{Column: "Host", Raw: raw(`"a"`)}, {Column: "Tags", Raw: raw(`["x",2]`)}, {Column: "At", Raw: raw(`"2024-05-01T10:00:00Z"`)}}})},
		{Name: "N", Value: contract.NullValue(contract.KindInt)},
	}
	var parts []string
	for _, s := range built {
		parts = append(parts, setting(s.Name, s.Value.Kind.String(), string(s.Value.Raw)))
	}
	decoded, err := Decode([]byte("[" + strings.Join(parts, ",") + "]"))
	if err != nil {
		t.Fatal(err)
	}
	opts := MapOptions{Constants: Constants{MachineName: "pod"}}
	want := entriesText(Map(decoded, opts))
	if diff := cmp.Diff(want, entriesText(Map(built, opts))); diff != "" {
		t.Errorf("constructed values map differently from decoded ones (-decoded +built):\n%s", diff)
	}
	if len(want) < len(built) {
		t.Errorf("only %d entries: %q", len(want), want)
	}
}
