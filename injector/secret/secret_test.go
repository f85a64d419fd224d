package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/secret"
)

func TestValueNeverPrintsItself(t *testing.T) {
	const plain = "hunter2-very-secret"
	v := secret.New(plain)
	type wrapper struct{ V secret.Value }

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "v", v, "w", wrapper{v})
	js, err := json.Marshal(wrapper{v})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%s":   fmt.Sprintf("%s", v),
		"%v":   fmt.Sprintf("%v", v),
		"%+v":  fmt.Sprintf("%+v", wrapper{v}),
		"%#v":  fmt.Sprintf("%#v", wrapper{v}),
		"%q":   fmt.Sprintf("%q", v),
		"%x":   fmt.Sprintf("%x", v),
		"json": string(js),
		"slog": logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, plain) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, secret.Redacted) {
			t.Errorf("%s does not show the placeholder: %s", name, out)
		}
	}
	if v.Reveal() != plain {
		t.Errorf("Reveal() = %q, want the secret", v.Reveal())
	}
}
