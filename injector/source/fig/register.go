package fig

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// The capabilities Fig servers advertise (FigCapabilitiesDataContract).
const (
	featureDeferredDescription  = "deferredDescriptionRegistration"
	featureRequestCompression   = "requestCompression"
	featureClientSettingUpdates = "clientSettingUpdates"
	featureMigrateFrom          = "migrateFromClientTransforms"
)

// compressionThreshold is the body size from which Fig.Client gzips when the
// server supports requestCompression.
const compressionThreshold = 4096

// capabilities is what GET /capabilities reported.
type capabilities struct {
	APIVersion string
	Features   []string
}

// Supports reports whether the server advertised feature.
func (c capabilities) supports(feature string) bool {
	for _, f := range c.Features {
		if strings.EqualFold(f, feature) {
			return true
		}
	}
	return false
}

// capabilities asks the server what it supports (GET /capabilities,
// anonymous). A 404 means an older server without features, not an error.
// A successful answer is kept for the Client's lifetime; failures are not,
// so the next call asks again (as Fig.Client does at its next registration).
func (c *Client) fetchCapabilities(ctx context.Context) (capabilities, error) {
	c.mu.Lock()
	cached := c.caps
	c.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	r := request{method: http.MethodGet, path: "/capabilities", ep: epCapabilities}
	resp, secretText, err := c.send(ctx, r)
	if err != nil {
		return capabilities{}, err
	}
	var caps capabilities
	switch {
	case resp.status == http.StatusNotFound:
		// An old server: no features.
	case resp.status < 200 || resp.status > 299:
		return capabilities{}, c.statusError(r.op(), r.ep, resp, secretText)
	default:
		var body struct {
			APIVersion        string   `json:"apiVersion"`
			SupportedFeatures []string `json:"supportedFeatures"`
		}
		if err := json.Unmarshal(resp.body, &body); err != nil {
			return capabilities{}, &source.Error{Source: sourceName, Op: r.op(), StatusCode: resp.status,
				Err: fmt.Errorf("the capabilities response is not Fig's FigCapabilitiesDataContract (%s)", dotnet.JSONKind(resp.body)),
				Fix: "check that the API URI points at the Fig API"}
		}
		caps = capabilities{APIVersion: body.APIVersion, Features: body.SupportedFeatures}
	}
	c.mu.Lock()
	c.caps = &caps
	c.mu.Unlock()
	return caps, nil
}

// Register registers the client's settings as Fig.Client does:
//
//  1. the secret must meet Fig's rules (32+ characters, 10+ distinct);
//  2. GET /capabilities (a failure is logged and treated as no features);
//  3. POST /clients with header ClientSecret and the body of
//     EncodeDefinition, gzipped from 4096 bytes when the server supports
//     requestCompression, with a null Description when it supports
//     deferredDescriptionRegistration;
//  4. then, in that case, PUT /clients/{name}/description (a failure is
//     only logged, as in Fig.Client).
//
// Fig answers 200 for a new, changed or identical definition. A 401 with
// Fig's ErrorType "401" (another secret registered this name, or
// registrations are disabled) is logged and returned as an error matching
// ErrRegistrationRefused, which Fig.Client treats as "carry on". Other
// failures are *source.Error values as for every call.
func (c *Client) Register(ctx context.Context, def contract.Definition) error {
	const op = "POST /clients"
	if err := def.Validate(); err != nil {
		return &source.Error{Source: sourceName, Op: op, Err: fmt.Errorf("invalid settings definition: %w", err),
			Fix: "correct the settings declaration (fig.register)"}
	}
	r := request{method: http.MethodPost, path: "/clients", ep: epRegister, secretHeader: "ClientSecret"}
	secretText, err := c.readSecret(ctx, r)
	if err != nil {
		return err
	}
	if err := validateSecret(secretText); err != nil {
		return &source.Error{Source: sourceName, Op: op, Err: fmt.Errorf("the client secret cannot register: %w", err),
			Fix: "use a secret of at least 32 characters with at least 10 distinct ones (a GUID), the same for every instance of the client"}
	}
	caps, err := c.fetchCapabilities(ctx)
	if err != nil {
		c.log.Warn("could not read the Fig API's capabilities; registering without them", "error", err.Error())
	}
	if def.ClientVersion == "" {
		def.ClientVersion = c.clientVersion
	}
	if def.Instance == "" {
		def.Instance = c.instance // SettingsBase.CreateDataContract sends the resolved instance
	}
	description := def.Description
	deferred := description != "" && caps.supports(featureDeferredDescription)
	if deferred {
		def.Description = ""
	}
	r.secret = secretText
	r.body = contract.EncodeDefinition(c.name, def)
	r.gzip = caps.supports(featureRequestCompression) && len(r.body) >= compressionThreshold
	resp, secretText, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	if resp.status < 200 || resp.status > 299 {
		if fe, ok := parseErrorBody(resp.body); ok && resp.status == http.StatusUnauthorized && fe.ErrorType == "401" {
			msg := cleanMessage(fe.Message, secretText)
			c.log.Info("Fig did not register the settings", "client", c.name, "reason", msg)
			return &source.Error{Source: sourceName, Op: op, StatusCode: resp.status,
				Err: &apiError{StatusCode: resp.status, ErrorType: fe.ErrorType, Message: msg, Reference: cleanMessage(fe.Reference, secretText),
					kind: ErrRegistrationRefused,
					text: fmt.Sprintf("Fig did not register client '%s' (Fig says: %q)", c.name, msg)},
				Fix: "nothing is needed if the client is already registered with this secret's predecessor or registrations are disabled on purpose; otherwise use the secret the client was first registered with, or ask a Fig admin to allow registrations"}
		}
		return c.statusError(op, epRegister, resp, secretText)
	}
	c.log.Info("registered settings with Fig", "client", c.name, "settings", len(def.Settings), "gzip", r.gzip)
	if deferred {
		c.putDescription(ctx, def.Instance, description, secretText)
	}
	return nil
}

// putDescription sends the deferred description; failures are logged only.
func (c *Client) putDescription(ctx context.Context, instance, description, secretText string) {
	r := request{
		secret:       secretText,
		method:       http.MethodPut,
		path:         "/clients/" + c.escapedName() + "/description",
		query:        c.instanceQuery(strings.TrimSpace(instance)),
		ep:           epDescription,
		secretHeader: "ClientSecret",
		body:         encodeDescription(description),
	}
	caps, _ := c.fetchCapabilities(ctx)
	r.gzip = caps.supports(featureRequestCompression) && len(r.body) >= compressionThreshold
	resp, secretText, err := c.send(ctx, r)
	if err != nil {
		c.log.Warn("could not send the deferred client description", "error", err.Error())
		return
	}
	if resp.status < 200 || resp.status > 299 {
		c.log.Warn("Fig did not accept the deferred client description", "error", c.statusError(r.op(), r.ep, resp, secretText).Error())
	}
}

// typeDescriptionUpdate is the "$type" of PUT /clients/{name}/description's body.
const typeDescriptionUpdate = "Fig.Contracts.SettingClients.ClientDescriptionUpdateDataContract, Fig.Contracts"

// encodeDescription is ClientDescriptionUpdateDataContract as Fig.Client
// writes it (with its "$type").
func encodeDescription(description string) []byte {
	var w dotnet.Writer
	w.Open(typeDescriptionUpdate)
	w.Key("Description")
	w.Str(description)
	w.Close()
	return w.Bytes()
}
