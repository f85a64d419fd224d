package azjson

import (
	"testing"
)

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"ampersand and angle brackets stay literal", map[string]string{"nextLink": "https://kv/secrets?a=1&b=<2>"}, `{"nextLink":"https://kv/secrets?a=1&b=<2>"}`},
		{"no trailing newline", []int{1, 2}, `[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if err != nil || string(got) != tt.want {
				t.Errorf("Marshal = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal of a func: no error")
	}
}
