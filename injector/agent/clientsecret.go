package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// secretFunc returns the Fig client secret; it is called for every Fig
// request so a rotated file or vault secret is picked up without a restart.
type secretFunc func(ctx context.Context) (secret.Value, error)

// kvSecretTTL bounds how long a client secret read from Key Vault is reused:
// long enough that a 30 s Fig poll costs no Key Vault request, short enough
// that a rotation reaches Fig within minutes.
const kvSecretTTL = 5 * time.Minute

// newSecretFunc picks the client-secret source that the configuration names,
// or Fig.Client's conventions when it names none: env FIG_<CLIENT>_SECRET,
// then the first line of /run/secrets/FIG_<CLIENT>_SECRET (or .txt).
func newSecretFunc(cs config.ClientSecret, clientName string, getenv func(string) string, kv func(ctx context.Context, uri string) (secret.Value, error), now func() time.Time) secretFunc {
	switch {
	case cs.File != "":
		return func(context.Context) (secret.Value, error) { return readFirstLine(cs.File) }
	case cs.Env != "":
		return func(context.Context) (secret.Value, error) { return fromEnv(getenv, cs.Env) }
	case cs.KeyVault != "":
		c := &cachedSecret{fetch: func(ctx context.Context) (secret.Value, error) { return kv(ctx, cs.KeyVault) }, now: now}
		return c.get
	}
	name := "FIG_" + config.ClientKey(clientName) + "_SECRET"
	return func(context.Context) (secret.Value, error) {
		if getenv(name) != "" {
			return fromEnv(getenv, name)
		}
		for _, p := range []string{"/run/secrets/" + name, "/run/secrets/" + name + ".txt"} {
			if v, err := readFirstLine(p); err == nil {
				return v, nil
			}
		}
		return secret.Value{}, secretError(fmt.Errorf("no client secret: %s is unset and /run/secrets/%s does not exist", name, name),
			"set fig.clientSecret (file, env or keyVault) or provide "+name)
	}
}

func fromEnv(getenv func(string) string, name string) (secret.Value, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return secret.Value{}, secretError(fmt.Errorf("environment variable %s is empty", name), "set "+name+" or point fig.clientSecret elsewhere")
	}
	return secret.New(v), nil
}

// readFirstLine reads the first line of a file, as Fig.Client's Docker
// secret provider does.
func readFirstLine(path string) (secret.Value, error) {
	data, err := boundedfile.Read(path, boundedfile.SecretLimit)
	if err != nil {
		return secret.Value{}, secretError(fmt.Errorf("read client secret file: %w", err), "mount the Kubernetes Secret at "+path)
	}
	line, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine()
	if len(bytes.TrimSpace(line)) == 0 {
		return secret.Value{}, secretError(fmt.Errorf("client secret file %s is empty", path), "put the client secret on the file's first line")
	}
	return secret.New(strings.TrimSpace(string(line))), nil
}

func secretError(err error, fix string) error {
	return &source.Error{Source: "fig", Op: "read client secret", Err: err, Fix: fix}
}

// cachedSecret reuses a fetched secret for kvSecretTTL.
type cachedSecret struct {
	fetch func(ctx context.Context) (secret.Value, error)
	now   func() time.Time
	mu    sync.Mutex
	v     secret.Value
	at    time.Time
}

func (c *cachedSecret) get(ctx context.Context) (secret.Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.v.IsZero() && c.now().Sub(c.at) < kvSecretTTL {
		return c.v, nil
	}
	v, err := c.fetch(ctx)
	if err != nil {
		if !c.v.IsZero() && !errors.Is(err, context.Canceled) {
			return c.v, nil // keep serving the last good secret
		}
		return secret.Value{}, err
	}
	c.v, c.at = v, c.now()
	return v, nil
}
