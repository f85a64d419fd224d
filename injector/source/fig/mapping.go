package fig

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// The metadata keys Fig.Client adds (FigConfigurationProvider.SetMetadataProperties).
const (
	keyLastFigUpdateUtcTicks = "LastFigUpdateUtcTicks"
	keyFigSettingLoadType    = "FigSettingLoadType"
)

// MapOptions are the inputs of Map besides the settings.
type MapOptions struct {
	// Constants are substituted for ${MachineName} and friends.
	Constants Constants
	// LoadTime is when the settings were fetched; it becomes
	// LastFigUpdateUtcTicks.
	LoadTime time.Time
	// IncludeMetadata adds FigSettingLoadType = "Server" and
	// LastFigUpdateUtcTicks, as Fig.Client always does.
	IncludeMetadata bool
	// Offline says the settings come from an offline copy, not from Fig:
	// FigSettingLoadType is then "Offline", as LoadOfflineSnapshot sets it
	// (FigConfigurationProvider.cs, LoadType.Offline).
	Offline bool
	// Warn, when set, is told about a setting that Fig.Client would fail to
	// map (a JSON setting whose text is not valid JSON, has a duplicate key
	// …). Map leaves such a setting out; Fig.Client would fail the whole
	// load instead.
	Warn func(setting string, err error)
}

// Map turns Fig settings into .NET configuration entries exactly as
// Fig.Client's ToDataProviderFormat does (contracts/fig-api.md §7):
//
//   - simple values (String, Bool, DateTime, Double, Long, Int, TimeSpan) go
//     to Name with "->" replaced by ":" and, for nested names, also to the
//     simplified last segment;
//   - data grids go to K:row (one "Values" column) or K:row:Column, JSON
//     array cells to K:row:Column:i;
//   - JSON settings are flattened under K;
//   - values are formatted as .NET formats them, constants are substituted,
//     "<NULL>" strings are null.
//
// Like Fig.Client, it writes simple settings first, then data grids, then
// JSON settings, each in Fig's order, into one case-insensitive table where
// a later write replaces an earlier one and a null removes it. Null values
// are left out (a file cannot express .NET's null-shadowing). Entries come
// out in Fig's setting order, each setting's keys in their natural order,
// a key listed under the setting that wrote it last; metadata comes last.
// Every entry has Origin fig and Secret = the setting's IsSecret.
func Map(settings []Setting, opts MapOptions) []source.Entry {
	t := newKeyTable(len(settings) * 2)
	for pass := 0; pass < 3; pass++ {
		for i, s := range settings {
			switch {
			case pass == 0 && s.Value.Kind != contract.KindDataGrid && s.Value.Kind != contract.KindJSON:
				mapSimple(t, i, s, opts)
			case pass == 1 && s.Value.Kind == contract.KindDataGrid:
				mapDataGrid(t, i, s, opts)
			case pass == 2 && s.Value.Kind == contract.KindJSON:
				mapJSON(t, i, s, opts)
			}
		}
	}
	if opts.IncludeMetadata {
		meta := len(settings)
		t.set(meta, keyLastFigUpdateUtcTicks, strconv.FormatInt(dotnet.Ticks(opts.LoadTime), 10), true, false)
		loadType := "Server"
		if opts.Offline {
			loadType = "Offline"
		}
		t.set(meta, keyFigSettingLoadType, loadType, true, false)
	}
	return t.entries()
}

// simpleText is the text Fig.Client writes for a simple value, constants
// substituted in strings; ok is false for null.
func simpleText(v contract.Value, c Constants) (string, bool) {
	text, ok := v.ConfigText()
	if ok && v.Kind == contract.KindString {
		return c.replaceConstants(text)
	}
	return text, ok
}

func mapSimple(t *keyTable, i int, s Setting, opts MapOptions) {
	text, ok := simpleText(s.Value, opts.Constants)
	segments := strings.Split(s.Name, contract.Separator)
	simplified := ""
	for j := len(segments) - 1; j >= 0; j-- {
		if segments[j] != "" {
			simplified = segments[j]
			break
		}
	}
	if simplified != "" {
		t.set(i, simplified, text, ok, s.IsSecret)
	}
	t.set(i, strings.ReplaceAll(s.Name, contract.Separator, ":"), text, ok, s.IsSecret)
}

func mapDataGrid(t *keyTable, i int, s Setting, opts MapOptions) {
	base := strings.ReplaceAll(s.Name, contract.Separator, ":")
	if s.Value.Raw == nil {
		t.set(i, base, "", false, s.IsSecret)
		return
	}
	rows := s.Value.Rows
	baseList := len(rows) > 0 && len(rows[0]) == 1 && rows[0][0].Column == "Values"
	for r, row := range rows {
		for _, cell := range row {
			key := base + ":" + strconv.Itoa(r)
			if !baseList {
				key += ":" + cell.Column
			}
			if cell.Items() != nil {
				for j, item := range cell.Items() {
					// JToken.ToString(): no constant substitution here.
					t.set(i, key+":"+strconv.Itoa(j), item, true, s.IsSecret)
				}
				continue
			}
			text, ok := opts.Constants.replaceConstants(cell.Text())
			t.set(i, key, text, ok, s.IsSecret)
		}
	}
}

func mapJSON(t *keyTable, i int, s Setting, opts MapOptions) {
	if s.Value.Raw == nil {
		return // null JSON setting: Fig.Client writes nothing
	}
	leaves, err := s.Value.JSONLeaves()
	if err != nil {
		if opts.Warn != nil {
			opts.Warn(s.Name, fmt.Errorf("JSON setting left out: %w", err))
		}
		return
	}
	base := strings.ReplaceAll(s.Name, contract.Separator, ":")
	for _, l := range leaves {
		v, ok := opts.Constants.replaceConstants(l.Text)
		t.set(i, base+":"+l.Path, v, ok, s.IsSecret)
	}
}

// keyTable is the case-insensitive dictionary Fig.Client fills.
type keyTable struct {
	index map[string]int // lower-cased key → position in rows
	rows  []tableRow
	seq   int
}

type tableRow struct {
	key     string
	value   string
	present bool // false: the last write was null
	setting int  // the setting that wrote it last
	seq     int  // order of that write
	secret  bool
}

func newKeyTable(capacity int) *keyTable {
	return &keyTable{index: make(map[string]int, capacity), rows: make([]tableRow, 0, capacity)}
}

// set writes key; present=false is a null. IConfiguration keys are
// case-insensitive: a key keeps its first spelling.
func (t *keyTable) set(setting int, key, value string, present, isSecret bool) {
	t.seq++
	low := strings.ToLower(key)
	if at, ok := t.index[low]; ok {
		r := &t.rows[at]
		if r.setting != setting {
			r.seq = t.seq
		}
		r.value, r.present, r.setting, r.secret = value, present, setting, isSecret
		return
	}
	t.index[low] = len(t.rows)
	t.rows = append(t.rows, tableRow{key: key, value: value, present: present, setting: setting, seq: t.seq, secret: isSecret})
}

func (t *keyTable) entries() []source.Entry {
	rows := t.rows
	slices.SortStableFunc(rows, func(a, b tableRow) int {
		if a.setting != b.setting {
			return a.setting - b.setting
		}
		return a.seq - b.seq
	})
	out := make([]source.Entry, 0, len(rows))
	for _, r := range rows {
		if !r.present {
			continue
		}
		out = append(out, source.Entry{Key: r.key, Value: secret.New(r.value), Secret: r.secret, Origin: source.OriginFig})
	}
	return out
}
