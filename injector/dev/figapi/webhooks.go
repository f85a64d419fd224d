package figapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// Web hooks, sent as Fig sends them, so the relay and `make demo` can be
// driven by the emulator:
//
//   - Dissemination (src/api/Fig.Api/Services/WebHookDisseminationService.cs):
//     each event is matched against the configured web hooks of its type by
//     ClientNameRegex on the client name (WebHookBusinessEntityExtensions.IsMatch);
//     SettingValueChanged also filters the changed settings by
//     SettingNameRegex, an empty one matching none, and sends nothing when
//     none is left (WebHookProcessorWorker.CreateSettingValueChangedContract
//     and ShouldSend). Matches are queued (WebHooks/WebHookQueue.cs).
//   - Delivery (src/api/Fig.Api/Workers/WebHookProcessorWorker.cs): one
//     worker sends queued hooks in order: POST new Uri(new Uri(BaseUri),
//     route) (route from ExtensionMethods/WebHookTypeExtensions.cs), body
//     JsonConvert.SerializeObject(contract) (PascalCase, nulls written,
//     enums as numbers), "Authorization: Secret <secret>", a 10 s timeout,
//     no retry: a failure is logged and the hook is gone.
//   - Payloads: src/common/Fig.WebHooks.Contracts/SettingValueChangedDataContract.cs
//     and ClientRegistrationDataContract.cs; Link is Fig's web address
//     (WebApplicationBaseAddress, default https://localhost:7148/, per
//     type route from WebHookProcessorWorker.GetUri).
//
// Which events fire here: an admin value edit (SetValue, SetValues), a
// client override applied at registration (SettingsService.RegisterSettings
// → UpdateSettingValues) and a re-seed that changes values (the dev seed's
// edits stand for admin edits) fire SettingValueChanged, one per client row
// (instance); a new registration fires NewClientRegistration and a changed
// one UpdatedClientRegistration (SettingsService.cs RegisterSettingsInternal).
// Run sessions fire ClientStatusChanged, MinRunSessions and
// HealthStatusChanged (sessionhooks.go); SecurityEvent is not emulated.

// Web hook types, named as Fig's routes.
const (
	WebHookSettingValueChanged       = "SettingValueChanged"
	WebHookNewClientRegistration     = "NewClientRegistration"
	WebHookUpdatedClientRegistration = "UpdatedClientRegistration"
)

// webHookTimeout is Fig's HttpClient timeout for web hooks.
const webHookTimeout = 10 * time.Second

// figWebAddress is Fig's default WebApplicationBaseAddress.
const figWebAddress = "https://localhost:7148/"

// WebHookClient is a receiver configured in Fig's web UI: where hooks go,
// the secret Fig sends, and which hooks it gets.
type WebHookClient struct {
	Name string
	// BaseURI is resolved against each route as .NET does: without a
	// trailing slash its last path segment is replaced.
	BaseURI string
	// Secret is sent in clear as "Authorization: Secret <Secret>"; receivers
	// verify it against the bcrypt hash Fig's UI showed.
	Secret string
	Hooks  []WebHook
}

// WebHook is one configured web hook of a client.
type WebHook struct {
	// Type is one of the WebHook* constants.
	Type string
	// ClientNameRegex selects clients by name (.NET Regex.IsMatch: a match
	// anywhere). Required, as in Fig.
	ClientNameRegex string
	// SettingNameRegex selects changed settings for SettingValueChanged; an
	// empty one matches none, as in Fig.
	SettingNameRegex string
	// MinSessions is MinRunSessions' threshold (WebHookBusinessEntity.MinSessions).
	MinSessions int
}

// WebHookResult is one delivery attempt, for Options.WebHookSent.
type WebHookResult struct {
	Client, Type, URL string
	Status            int   // 0 when no answer
	Err               error // transport error or timeout
}

// compiledClient is a WebHookClient with its regexes compiled.
type compiledClient struct {
	WebHookClient
	hooks []compiledHook
}

type compiledHook struct {
	typ              string
	client, settings *regexp.Regexp // settings nil: matches none
	minSessions      int
}

// compileWebHooks validates the configured web hooks.
func compileWebHooks(clients []WebHookClient) ([]compiledClient, error) {
	var out []compiledClient
	for _, c := range clients {
		if u, err := url.Parse(c.BaseURI); err != nil || !u.IsAbs() {
			return nil, fmt.Errorf("web hook client %q: base URI %q is not an absolute URI", c.Name, c.BaseURI)
		}
		cc := compiledClient{WebHookClient: c}
		for _, h := range c.Hooks {
			switch h.Type {
			case WebHookSettingValueChanged, WebHookNewClientRegistration, WebHookUpdatedClientRegistration,
				WebHookClientStatusChanged, WebHookMinRunSessions, WebHookHealthStatusChanged:
			default:
				return nil, fmt.Errorf("web hook client %q: type %q is not emulated (SettingValueChanged, NewClientRegistration, UpdatedClientRegistration, ClientStatusChanged, MinRunSessions, HealthStatusChanged; the emulator has no users, so no SecurityEvent)", c.Name, h.Type)
			}
			re, err := regexp.Compile(h.ClientNameRegex)
			if err != nil || h.ClientNameRegex == "" {
				return nil, fmt.Errorf("web hook client %q: client name regex %q is not valid", c.Name, h.ClientNameRegex)
			}
			ch := compiledHook{typ: h.Type, client: re, minSessions: h.MinSessions}
			if h.SettingNameRegex != "" {
				if ch.settings, err = regexp.Compile(h.SettingNameRegex); err != nil {
					return nil, fmt.Errorf("web hook client %q: setting name regex %q is not valid", c.Name, h.SettingNameRegex)
				}
			}
			cc.hooks = append(cc.hooks, ch)
		}
		out = append(out, cc)
	}
	return out, nil
}

// settingValueChangedContract is SettingValueChangedDataContract, fields in
// declaration order as Newtonsoft writes them.
type settingValueChangedContract struct {
	ClientName      string
	Instance        *string
	UpdatedSettings []string
	Username        *string
	Link            string
	ChangeMessage   string
	IsTest          bool
}

// clientRegistrationContract is ClientRegistrationDataContract;
// RegistrationType is New = 0, Updated = 1.
type clientRegistrationContract struct {
	ClientName       string
	Instance         *string
	Settings         []string
	RegistrationType int
	Link             string
	IsTest           bool
}

// pendingHook is one queued delivery.
type pendingHook struct {
	client compiledClient
	typ    string
	body   []byte
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// settingsChangedHooks queues SettingValueChanged for a row's changed
// settings; s.mu is held.
func (s *Server) settingsChangedHooks(client, instance string, changed []string) {
	for _, c := range s.webHooks {
		for _, h := range c.hooks {
			if h.typ != WebHookSettingValueChanged || !h.client.MatchString(client) || h.settings == nil {
				continue
			}
			var names []string
			for _, n := range changed {
				if h.settings.MatchString(n) {
					names = append(names, n)
				}
			}
			if len(names) == 0 {
				continue
			}
			admin := "admin"
			body, _ := json.Marshal(settingValueChangedContract{ClientName: client, Instance: nullable(instance),
				UpdatedSettings: names, Username: &admin, Link: figWebAddress})
			s.queueHook(pendingHook{client: c, typ: h.typ, body: body})
		}
	}
}

// registrationHooks queues New- or UpdatedClientRegistration; s.mu is held.
func (s *Server) registrationHooks(client string, settings []string, updated bool) {
	typ, kind := WebHookNewClientRegistration, 0
	if updated {
		typ, kind = WebHookUpdatedClientRegistration, 1
	}
	body, _ := json.Marshal(clientRegistrationContract{ClientName: client, Settings: settings, RegistrationType: kind, Link: figWebAddress})
	s.matchingHooks(typ, client, func(c compiledClient, _ compiledHook) {
		s.queueHook(pendingHook{client: c, typ: typ, body: body})
	})
}

// queueHook appends to the queue and starts the worker if none runs; s.mu
// is held. The worker exits when the queue is empty, so an idle emulator
// holds no goroutine.
func (s *Server) queueHook(p pendingHook) {
	s.hookQueue = append(s.hookQueue, p)
	if !s.hookWorker {
		s.hookWorker = true
		go s.sendHooks()
	}
}

// sendHooks delivers queued hooks one at a time, in order.
func (s *Server) sendHooks() {
	for {
		s.mu.Lock()
		if len(s.hookQueue) == 0 {
			s.hookWorker = false
			s.mu.Unlock()
			return
		}
		p := s.hookQueue[0]
		s.hookQueue = s.hookQueue[1:]
		s.mu.Unlock()
		s.deliver(p)
	}
}

func (s *Server) deliver(p pendingHook) {
	res := WebHookResult{Client: p.client.Name, Type: p.typ}
	base, _ := url.Parse(p.client.BaseURI) // checked by compileWebHooks
	target := base.ResolveReference(&url.URL{Path: p.typ})
	res.URL = target.String()
	ctx, cancel := context.WithTimeout(context.Background(), webHookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, res.URL, bytes.NewReader(p.body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Authorization", "Secret "+p.client.Secret)
		var resp *http.Response
		if resp, err = s.hookHTTP.Do(req); err == nil {
			res.Status = resp.StatusCode
			resp.Body.Close()
		}
	}
	res.Err = err
	switch {
	case err != nil:
		s.log.Warn("web hook not delivered (Fig does not retry)", "client", p.client.Name, "type", p.typ, "url", res.URL, "error", err)
	case res.Status < 200 || res.Status > 299:
		s.log.Warn("web hook refused (Fig does not retry)", "client", p.client.Name, "type", p.typ, "url", res.URL, "status", res.Status)
	default:
		s.log.Debug("web hook sent", "client", p.client.Name, "type", p.typ, "url", res.URL)
	}
	if s.opts.WebHookSent != nil {
		s.opts.WebHookSent(res)
	}
}

// settingNames lists a registration's setting names, for its web hook.
func settingNames(settings []decodedSetting) []string {
	out := make([]string, 0, len(settings))
	for _, ds := range settings {
		out = append(out, ds.def.Name)
	}
	return out
}
