package fig

import (
	"context"
	"fmt"
	"net/http"

	"github.com/fig-injector/fig-injector/injector/source"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
)

// Settings fetches the client's values as Fig.Client does:
// GET /clients/{name}/settings?runSessionId={id}[&instance={instance}] with
// the headers clientSecret and Fig_Hostname. A client that is not
// registered gives an error matching ErrNotRegistered.
func (c *Client) Settings(ctx context.Context) ([]Setting, error) {
	query := "runSessionId=" + c.RunSessionID()
	if q := c.instanceQuery(c.instance); q != "" {
		query += "&" + q
	}
	r := request{
		method:       http.MethodGet,
		path:         "/clients/" + c.escapedName() + "/settings",
		query:        query,
		ep:           epSettings,
		secretHeader: "clientSecret",
		hostname:     true,
		maxBody:      maxSettingsBody,
	}
	resp, secretText, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if resp.status < 200 || resp.status > 299 {
		return nil, c.statusError(r.op(), r.ep, resp, secretText)
	}
	settings, err := Decode(resp.body)
	if err != nil {
		return nil, &source.Error{Source: sourceName, Op: r.op(), StatusCode: resp.status,
			Err: fmt.Errorf("read the settings: %w", err),
			Fix: "check that the API URI points at a Fig API of version 3 or 4; if it does, report the setting named above to the fig-injector maintainers"}
	}
	return settings, nil
}

// Setting is one element of GET /clients/{name}/settings: a value only, no
// definition (Fig's SettingDataContract).
type Setting struct {
	// Name is the setting name; nested settings join segments with "->".
	Name string
	// IsSecret marks values Fig treats as secret. They arrive in plain text.
	IsSecret bool
	// Value is the typed value.
	Value contract.Value
}
