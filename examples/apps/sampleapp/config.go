package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// maskedValue replaces every secret-looking value the app shows.
const maskedValue = "****"

// loadConfig reads and parses the rendered file. The agent replaces it by
// rename, so a read sees the old file or the new one, never a partial one.
func loadConfig(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("parse config %s: %w", path, err)
	}
	return tree, nil
}

// isSecretKey reports whether a configuration key (colon-separated, as .NET
// names it) has a segment containing one of the mask fragments, compared
// case-insensitively: "ConnectionStrings:Orders" and "Db:Password" match
// "ConnectionString" and "Password".
func isSecretKey(key string, mask []string) bool {
	for _, seg := range strings.Split(key, ":") {
		seg = strings.ToLower(seg)
		for _, m := range mask {
			if strings.Contains(seg, strings.ToLower(m)) {
				return true
			}
		}
	}
	return false
}

// maskTree returns a copy of tree with every leaf under a secret key
// replaced by maskedValue. prefix is the key of tree itself.
func maskTree(tree any, mask []string, prefix string) any {
	switch v := tree.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, child := range v {
			out[k] = maskTree(child, mask, join(prefix, k))
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, child := range v {
			out[i] = maskTree(child, mask, join(prefix, strconv.Itoa(i)))
		}
		return out
	default:
		if v != nil && isSecretKey(prefix, mask) {
			return maskedValue
		}
		return v
	}
}

// flatten maps a tree to the keys .NET's JSON provider reads from it
// ("Db:Password", "Hosts:0"), leaf values printed as JSON.
func flatten(tree any) map[string]string {
	out := map[string]string{}
	var walk func(any, string)
	walk = func(node any, prefix string) {
		switch v := node.(type) {
		case map[string]any:
			for k, child := range v {
				walk(child, join(prefix, k))
			}
		case []any:
			for i, child := range v {
				walk(child, join(prefix, strconv.Itoa(i)))
			}
		default:
			b, _ := json.Marshal(v) // decoded JSON scalars always marshal
			out[prefix] = string(b)
		}
	}
	walk(tree, "")
	return out
}

// changedKeys lists, sorted, the keys added, removed or changed from old to
// next. It compares values but returns only names, so it can be logged.
func changedKeys(old, next map[string]string) []string {
	var out []string
	for k, v := range next {
		if o, ok := old[k]; !ok || o != v {
			out = append(out, k)
		}
	}
	for k := range old {
		if _, ok := next[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + ":" + key
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
