package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// FieldError is one invalid field: its path in the file, what is wrong and how
// to fix it.
type FieldError struct {
	Path    string // e.g. "outputs[0].format"
	Problem string
	Fix     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s; fix: %s", e.Path, e.Problem, e.Fix)
}

// validator collects every problem instead of stopping at the first, so a
// user fixes a file in one pass.
type validator struct{ errs []error }

func (v *validator) add(path, problem, fix string) {
	v.errs = append(v.errs, &FieldError{Path: path, Problem: problem, Fix: fix})
}

// Validate checks every rule, and every URI against c.Allowlist when it is
// set. The returned error joins one *FieldError per problem.
func (c *Config) Validate() error {
	v := &validator{}
	if c.Fig == nil && len(c.KeyVaults) == 0 {
		v.add("fig", "no source is configured", "configure fig, keyVaults, or both")
	}
	if c.Fig != nil {
		v.fig(c.Fig)
	}
	mapped := map[string]bool{} // explicit keys, upper-cased: .NET configuration keys are case-insensitive
	for i := range c.KeyVaults {
		v.keyVault(fmt.Sprintf("keyVaults[%d]", i), &c.KeyVaults[i], mapped)
	}
	v.outputs(c.Outputs)
	v.azure(&c.Azure)
	v.notify(&c.Notify)
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			v.add("listen", fmt.Sprintf("%q is not host:port", c.Listen), `use ":9102", or "" to disable the endpoints`)
		}
	}
	if c.Relay != nil {
		v.relay(c.Relay)
	}
	v.duration("initTimeout", c.InitTimeout, time.Second)
	v.allowlist(c)
	return errors.Join(v.errs...)
}

func (v *validator) fig(f *Fig) {
	switch err := rules.ClientName(f.ClientName); {
	case errors.Is(err, rules.ErrNoClientName):
		v.add("fig.clientName", err.Error(), "set it to the client name registered in Fig")
	case err != nil:
		v.add("fig.clientName", err.Error(), "use the client name registered in Fig")
	}
	if strings.TrimSpace(f.APIURI) == "" {
		v.add("fig.apiUri", "is required", "set fig.apiUri or the FIG_API_URI environment variable, e.g. https://fig-api.fig.svc:8080")
	}
	for _, u := range SplitURIs(f.APIURI) {
		if !isHTTPURL(u) {
			v.add("fig.apiUri", fmt.Sprintf("%q is not an absolute http(s) URI", u), "use a comma-separated list such as https://fig-api.fig.svc:8080")
		}
	}
	v.clientSecret(&f.ClientSecret)
	v.duration("fig.pollInterval", f.PollInterval, time.Second)
	v.duration("fig.requestTimeout", f.RequestTimeout, time.Second)
	v.figApp(f)
	if d := f.RequestTimeout.D(); d > MaxFigRequestTimeout {
		v.add("fig.requestTimeout", fmt.Sprintf("%s is longer than %s", d, MaxFigRequestTimeout),
			"use at most 10m; a Fig that reads Key Vault while answering needs about a second per secret")
	}
}

func (v *validator) clientSecret(s *ClientSecret) {
	set := 0
	for _, x := range []string{s.File, s.Env, s.KeyVault} {
		if x != "" {
			set++
		}
	}
	if set > 1 {
		v.add("fig.clientSecret", "sets more than one of file, env and keyVault", "keep exactly one")
	}
	if s.File != "" && !filepath.IsAbs(s.File) {
		v.add("fig.clientSecret.file", fmt.Sprintf("%q is not an absolute path", s.File), "use the path where the Kubernetes Secret is mounted")
	}
	if s.KeyVault != "" {
		u, err := url.Parse(s.KeyVault)
		if err != nil || u.Scheme != "https" || u.Host == "" || !strings.HasPrefix(u.Path, "/secrets/") {
			v.add("fig.clientSecret.keyVault", fmt.Sprintf("%q is not a Key Vault secret URI", s.KeyVault), "use https://<vault>.vault.azure.net/secrets/<name>")
		}
	}
}

func (v *validator) keyVault(path string, kv *KeyVault, mapped map[string]bool) {
	if u, err := url.Parse(kv.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		v.add(path+".url", fmt.Sprintf("%q is not an https URL", kv.URL), "use the vault URL, e.g. https://orders-kv.vault.azure.net/")
	}
	if kv.Prefix == "" && len(kv.Secrets) == 0 {
		v.add(path, "reads nothing", "set prefix, secrets, or both")
	}
	if kv.Prefix != "" && !rules.SecretNamePrefix(kv.Prefix) {
		v.add(path+".prefix", fmt.Sprintf("%q is not a Key Vault secret name prefix", kv.Prefix), "use the start of your secret names: "+rules.SecretPrefixRule+", e.g. OrderService--")
	}
	for j, s := range kv.Secrets {
		p := fmt.Sprintf("%s.secrets[%d]", path, j)
		if !rules.SecretName(s.Name) {
			v.add(p+".name", fmt.Sprintf("%q is not a Key Vault secret name", s.Name), "use "+rules.SecretNameRule)
		}
		if s.Version != "" && !rules.SecretVersion(s.Version) {
			v.add(p+".version", fmt.Sprintf("%q is not a secret version", s.Version), "use the version Key Vault shows ("+rules.SecretVersionRule+"), or remove it to follow the latest")
		}
		switch k := strings.ToUpper(strings.TrimSpace(s.Key)); {
		case k == "":
			v.add(p+".key", "is required", "set the configuration key, e.g. ConnectionStrings:Orders:Password")
		case mapped[k]:
			v.add(p+".key", fmt.Sprintf("%q is mapped twice (keys are case-insensitive, as in .NET configuration)", s.Key), "map each key once")
		default:
			mapped[k] = true
		}
	}
	v.duration(path+".pollInterval", kv.PollInterval, time.Second)
}

func (v *validator) outputs(outs []Output) {
	if len(outs) == 0 {
		v.add("outputs", "is empty", "add an output, e.g. {path: /fig/appsettings.json}")
	}
	seen := map[string]bool{}
	for i, o := range outs {
		p := fmt.Sprintf("outputs[%d]", i)
		switch {
		case !filepath.IsAbs(o.Path):
			v.add(p+".path", fmt.Sprintf("%q is not an absolute path", o.Path), "use a file in the shared volume, e.g. /fig/appsettings.json")
		case seen[filepath.Clean(o.Path)]:
			v.add(p+".path", fmt.Sprintf("%q is written by another output too", o.Path), "give each output its own file")
		}
		seen[filepath.Clean(o.Path)] = true
		if !rules.Format(o.Format) {
			v.add(p+".format", fmt.Sprintf("%q is not a format", o.Format), "use one of "+rules.FormatsText())
		}
		if (o.Format == "template") != (o.Template != "") {
			v.add(p+".template", "is set exactly when format is template", "set format: template together with template: /path/to/file.tmpl")
		}
		if _, err := rules.FileMode(o.Mode); err != nil {
			v.add(p+".mode", fmt.Sprintf("%q is not an octal file mode the owner can read", o.Mode), `use e.g. "0440"`)
		}
	}
}

func (v *validator) azure(a *Azure) {
	if a.AuthorityHost != "" {
		if u, err := url.Parse(a.AuthorityHost); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("azure.authorityHost", fmt.Sprintf("%q is not an https URL", a.AuthorityHost), "use https://login.microsoftonline.com/ or your cloud's authority")
		}
	}
}

func (v *validator) relay(r *Relay) {
	if u, err := url.Parse(r.URL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		v.add("relay.url", fmt.Sprintf("%q is not an https URL", r.URL), "use the relay Service's URL, e.g. https://fig-injector-relay.fig-injector.svc:8443, or remove relay to poll without it")
	}
	if !filepath.IsAbs(r.TokenFile) {
		v.add("relay.tokenFile", fmt.Sprintf("%q is not an absolute path", r.TokenFile), "use the path of the projected service-account token for the relay's audience, e.g. /var/run/secrets/fig-injector/relay/token")
	}
}

func (v *validator) notify(n *Notify) {
	if s := n.Signal; s != nil {
		if strings.TrimSpace(s.Process) == "" {
			v.add("notify.signal.process", "is required", "name the process to signal, e.g. dotnet (the pod needs shareProcessNamespace: true)")
		}
		if _, err := rules.Signal(s.Name); s.Name != "" && err != nil {
			v.add("notify.signal.name", fmt.Sprintf("%q is not a signal", s.Name), "use a name such as SIGHUP or SIGUSR1, or a number from 1 to 64")
		}
	}
	if h := n.HTTP; h != nil && !isHTTPURL(h.URL) {
		v.add("notify.http.url", fmt.Sprintf("%q is not an http(s) URL", h.URL), "use e.g. http://127.0.0.1:8080/reload")
	}
}

func (v *validator) duration(path string, d Duration, min time.Duration) {
	switch {
	case d.bad != "":
		v.add(path, fmt.Sprintf("%q is not a duration", d.bad), `write it like "30s", "5m" or "1h"`)
	case d.d != 0 && d.d < min:
		v.add(path, fmt.Sprintf("%s is shorter than %s", d.d, min), "use a longer interval")
	}
}

// SplitURIs splits a FIG_API_URI-style comma-separated list, trimming spaces
// and dropping empty entries, as Fig.Client does.
func SplitURIs(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
