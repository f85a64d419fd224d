package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
)

func TestClientSecretSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("from-file\r\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MY_SECRET": "from-env", "FIG_ORDERSERVICE_SECRET": "from-default-env"}
	getenv := func(k string) string { return env[k] }
	kv := func(_ context.Context, uri string) (secret.Value, error) { return secret.New("from-kv:" + uri), nil }
	tests := []struct {
		name string
		cs   config.ClientSecret
		want string
	}{
		{"file, first line only", config.ClientSecret{File: file}, "from-file"},
		{"env", config.ClientSecret{Env: "MY_SECRET"}, "from-env"},
		{"key vault", config.ClientSecret{KeyVault: "https://kv/secrets/s"}, "from-kv:https://kv/secrets/s"},
		{"Fig.Client default env name", config.ClientSecret{}, "from-default-env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newSecretFunc(tt.cs, "Order Service", getenv, kv, time.Now)(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tt.want {
				t.Errorf("secret = %q, want %q", got.Reveal(), tt.want)
			}
		})
	}
}

func TestClientSecretErrorsNameTheFix(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(t.TempDir(), "huge")
	if err := os.WriteFile(huge, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	tests := []struct {
		name string
		cs   config.ClientSecret
		want string
	}{
		{"missing file", config.ClientSecret{File: "/nonexistent/secret"}, "mount the Kubernetes Secret at /nonexistent/secret"},
		{"empty file", config.ClientSecret{File: empty}, "first line"},
		// Issue 12 item 7: /dev/zero used to be read until memory ran out.
		{"endless device", config.ClientSecret{File: "/dev/zero"}, "/dev/zero is not a regular file (it is a character device)"},
		{"huge file", config.ClientSecret{File: huge}, "is larger than the limit"},
		{"empty env", config.ClientSecret{Env: "NOPE"}, "set NOPE"},
		{"nothing configured", config.ClientSecret{}, "FIG_A_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newSecretFunc(tt.cs, "A", none, nil, time.Now)(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestKeyVaultClientSecretIsCachedAndKeptOnFailure(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	calls, fail := 0, false
	kv := func(context.Context, string) (secret.Value, error) {
		calls++
		if fail {
			return secret.Value{}, errors.New("vault down")
		}
		return secret.New("s1"), nil
	}
	get := newSecretFunc(config.ClientSecret{KeyVault: "https://kv/secrets/s"}, "A", nil, kv, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if v, err := get(ctx); err != nil || v.Reveal() != "s1" {
			t.Fatalf("get = %v, %v", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("Key Vault read %d times within the TTL, want 1", calls)
	}
	now, fail = now.Add(kvSecretTTL+time.Second), true
	if v, err := get(ctx); err != nil || v.Reveal() != "s1" {
		t.Errorf("after a failed refresh get = %v, %v; want the last good secret", v, err)
	}
	if calls != 2 {
		t.Errorf("Key Vault read %d times, want a refresh after the TTL", calls)
	}
}
