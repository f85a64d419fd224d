package dev

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// Seed is the seed file: what the emulators serve. It is YAML (or JSON),
// read strictly: an unknown or duplicated field is an error naming its path,
// so a typo never silently drops a value. The names below are the file's
// interface; examples/dev/seed.yaml is a commented example.
//
//	tenantId: 6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f   # Entra tenant of vaults and identities
//	fig:
//	  clients:                        # Fig clients, created as Fig's import does
//	    - name: OrderService          # the FIRST client is the one agent.yaml reads
//	      instance: ""                # optional: an instance override of name
//	      description: ""
//	      secret: <≥32 chars, ≥10 distinct>   # shared by every instance of a name
//	      settings:
//	        - name: Database->Host    # "->" nests, as in Fig
//	          type: string            # string|int|long|double|bool|datetime|timespan|json|datagrid
//	          value: db.local
//	          secret: false
//	          description: ""
//	  webHooks:                       # optional: web hook receivers, as configured in Fig's UI
//	    - name: relay
//	      baseUri: https://127.0.0.1:8443/fig/   # keep the trailing slash (.NET URI resolution)
//	      secret: <the secret Fig sends; the receiver holds its bcrypt hash>
//	      hooks:                      # SettingValueChanged | NewClientRegistration | UpdatedClientRegistration
//	                                  # | ClientStatusChanged | MinRunSessions | HealthStatusChanged
//	        - type: SettingValueChanged
//	          clientNameRegex: .*     # default .*
//	          settingNameRegex: .*    # default .* (in Fig's UI an empty one matches no setting)
//	          minSessions: 2          # MinRunSessions only: the threshold
//	keyVaults:                        # one emulated vault (and listener) per entry
//	  - name: orders-kv
//	    secrets:
//	      - name: OrderService--ConnectionStrings--Orders
//	        value: "…"
//	        enabled: true             # default true
//	        contentType: text/plain
//	        notBefore: 2025-01-01T00:00:00Z   # RFC 3339
//	        expires: 2030-01-01T00:00:00Z
//	        tags: {owner: orders}
//	identities:                       # Entra federated credentials
//	  - clientId: 2b7c9e4d-…          # application (client) ID
//	    issuer: https://kubernetes.default.svc.cluster.local
//	    subject: system:serviceaccount:shop:orders
//	    audience: api://AzureADTokenExchange   # the default
//
// Setting values: type may be left out and then follows the YAML value
// (text → string, whole number → int, or long beyond 32 bits, other number →
// double, true/false → bool, list → datagrid, mapping → json); a null value
// needs a type. datetime takes ISO 8601 text ("Z" for UTC); timespan takes
// .NET's "00:00:30" or Go's "30s"; json takes a mapping or list (written as
// JSON) or a string holding JSON; datagrid takes a list of rows, each a
// mapping of column to value (columns are sorted by name), or a list of
// strings (one column named "Values").
//
// The YAML is 1.1: unquoted y, n, yes, no, on and off are booleans and
// null and ~ are null, so quote names and values like those.
//
// Rules beyond the shape: at least one client or vault; client name and
// instance unique together; vault names unique and 3-24 letters, digits and
// hyphens; secret names unique per vault (Key Vault ignores case); vaults
// need a tenantId and at least one identity to be readable.
//
// While dev runs, edits replace the whole state, except two things that are
// fixed at start because listeners and vault tenants depend on them: the set
// of vault names and, when there are vaults, tenantId (restart to change
// them).
type Seed struct {
	TenantID   string         `json:"tenantId,omitempty"`
	Fig        SeedFig        `json:"fig,omitempty"`
	KeyVaults  []SeedVault    `json:"keyVaults,omitempty"`
	Identities []SeedIdentity `json:"identities,omitempty"`
}

// SeedFig is the Fig part of a Seed.
type SeedFig struct {
	Clients  []SeedClient        `json:"clients,omitempty"`
	WebHooks []SeedWebHookClient `json:"webHooks,omitempty"`
}

// SeedWebHookClient is one web hook receiver Fig sends hooks to.
type SeedWebHookClient struct {
	Name    string        `json:"name"`
	BaseURI string        `json:"baseUri"`
	Secret  string        `json:"secret"`
	Hooks   []SeedWebHook `json:"hooks"`
}

// SeedWebHook is one web hook of a receiver.
type SeedWebHook struct {
	Type             string `json:"type"`
	ClientNameRegex  string `json:"clientNameRegex,omitempty"`
	SettingNameRegex string `json:"settingNameRegex,omitempty"`
	MinSessions      int    `json:"minSessions,omitempty"`
}

// SeedClient is one Fig client (or one instance of it).
type SeedClient struct {
	Name        string `json:"name"`
	Instance    string `json:"instance,omitempty"`
	Description string `json:"description,omitempty"`
	// Secret is the client secret in clear. Entries of one name share it:
	// give it once, or the same on each.
	Secret   string        `json:"secret,omitempty"`
	Settings []SeedSetting `json:"settings,omitempty"`
}

// SeedSetting is one Fig setting.
type SeedSetting struct {
	Name string `json:"name"`
	// Type is the value's kind; "" infers it from Value.
	Type string `json:"type,omitempty"`
	// Value is kept as JSON until its type is known.
	Value       json.RawMessage `json:"value,omitempty"`
	Secret      bool            `json:"secret,omitempty"`
	Description string          `json:"description,omitempty"`
}

// SeedVault is one Key Vault and its secrets.
type SeedVault struct {
	Name    string       `json:"name"`
	Secrets []SeedSecret `json:"secrets,omitempty"`
}

// SeedSecret is one Key Vault secret (its latest version).
type SeedSecret struct {
	Name        string            `json:"name"`
	Value       *string           `json:"value"`
	Enabled     *bool             `json:"enabled,omitempty"`
	ContentType string            `json:"contentType,omitempty"`
	NotBefore   string            `json:"notBefore,omitempty"`
	Expires     string            `json:"expires,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Forbidden makes the vault answer 403 (ForbiddenByRbac, naming the
	// caller) to reads of this secret, as when the identity has no role
	// assignment on it: a fault to drill what the agent and the pod report.
	Forbidden bool `json:"forbidden,omitempty"`
}

// SeedIdentity is one Entra ID federated credential in the seed's tenant.
type SeedIdentity struct {
	ClientID string `json:"clientId"`
	Issuer   string `json:"issuer"`
	Subject  string `json:"subject"`
	Audience string `json:"audience,omitempty"`
}

// FieldError is one problem in a seed: the field's path, what is wrong and
// how to fix it. ParseSeed joins one per problem, so a whole file is fixed in
// one pass. It never quotes a secret value.
type FieldError struct {
	Path    string // e.g. "fig.clients[0].settings[2].value"
	Problem string
	Fix     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: %s; fix: %s", e.Path, e.Problem, e.Fix)
}

// ParseSeed reads a seed strictly and checks every rule, including the
// emulators' own (each value is applied to throw-away emulators), so that a
// seed it accepts applies without error. The error joins *FieldError values.
func ParseSeed(data []byte) (*Seed, error) {
	p, err := compile(data)
	if err != nil {
		return nil, err
	}
	return p.seed, nil
}

// decodeSeed is the strict YAML step of ParseSeed: it turns each problem
// rules.DecodeYAML reports into a FieldError.
func decodeSeed(data []byte) (*Seed, error) {
	var s Seed
	err := rules.DecodeYAML(data, &s, rules.YAMLFixes{})
	var ye *rules.YAMLError
	if err == nil || !errors.As(err, &ye) {
		return &s, err
	}
	switch ye.Problem {
	case rules.YAMLSyntax:
		return nil, &FieldError{Path: "(file)", Problem: "not valid YAML: " + strings.TrimPrefix(ye.Errs[0].Error(), "yaml: "),
			Fix: "correct the YAML at the line named (indentation, a missing colon, or a duplicated key)"}
	case rules.YAMLType:
		return nil, decodeError(ye.Errs[0])
	}
	errs := make([]error, len(ye.Errs))
	for i, e := range ye.Errs {
		errs[i] = strictError(e)
	}
	return nil, errors.Join(errs...)
}

// decodeError turns a type error of the JSON decoder into a FieldError. The
// decoder names the path without list indices ("keyVaults.secrets.value").
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		want := te.Type.String()
		switch want {
		case "string", "*string":
			want = "text"
		case "bool", "*bool":
			want = "true or false"
		case "map[string]string":
			want = "a mapping of text to text"
		default:
			if strings.HasPrefix(want, "[]") {
				want = "a list"
			} else if strings.HasPrefix(want, "dev.") {
				want = "a mapping"
			}
		}
		got := te.Value
		if strings.HasPrefix(got, "number") {
			got = "number" // the decoder quotes the number, which may be a secret
		}
		fix := "write " + want + " there"
		if want == "text" {
			fix = `quote the value ("…")`
		}
		return &FieldError{Path: te.Field, Problem: fmt.Sprintf("is a %s, want %s", got, want), Fix: fix}
	}
	return &FieldError{Path: "(file)", Problem: strings.TrimPrefix(err.Error(), "json: "), Fix: "compare the file with examples/dev/seed.yaml"}
}

// strictError turns an unknown or duplicate field report into a FieldError.
// The reports read `unknown field "fig.clients[0].setings"`.
func strictError(e error) error {
	msg := strings.TrimPrefix(e.Error(), "json: ")
	for _, kind := range []string{"unknown field ", "duplicate field "} {
		if path, ok := strings.CutPrefix(msg, kind); ok {
			path = strings.Trim(path, `"`)
			if kind == "unknown field " {
				return &FieldError{Path: path, Problem: "is not a seed field",
					Fix: "remove it or correct its name (names are case-sensitive; see examples/dev/seed.yaml)"}
			}
			return &FieldError{Path: path, Problem: "is given twice", Fix: "keep one"}
		}
	}
	return &FieldError{Path: "(file)", Problem: msg, Fix: "compare the file with examples/dev/seed.yaml"}
}
