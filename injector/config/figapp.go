package config

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/fig-injector/fig-injector/injector/rules"
)

// AppVersionEnv is where the webhook hands the agent the application's
// version (the app container's image tag, or fig-injector.io/app-version);
// fig.applicationVersion wins over it.
const AppVersionEnv = "FIG_INJECTOR_APP_VERSION"

// maxApplicationVersion bounds fig.applicationVersion: Fig shows it on its
// Clients page and in web hook payloads, so it is a short label.
const maxApplicationVersion = 128

// figApp checks what the agent reports and does for the application: its
// version, its health endpoint, the restart action and the overrides
// (checked against the declaration when the agent loads it).
func (v *validator) figApp(f *Fig) {
	switch ver := f.ApplicationVersion; {
	case len(ver) > maxApplicationVersion:
		v.add("fig.applicationVersion", fmt.Sprintf("is longer than %d characters", maxApplicationVersion), "use the application's version, e.g. 1.4.2")
	case strings.ContainsFunc(ver, unicode.IsControl):
		v.add("fig.applicationVersion", "contains a control character", "use the application's version on one line, e.g. 1.4.2")
	}
	if u := f.AppHealthURL; u != "" && !isHTTPURL(u) {
		v.add("fig.appHealthUrl", fmt.Sprintf("%q is not an http(s) URL", u), "use the app's health endpoint, e.g. http://127.0.0.1:8080/health")
	}
	if r := f.Restart; r != nil {
		switch {
		case (r.Signal == nil) == (r.HTTP == nil):
			v.add("fig.restart", "must set exactly one of signal and http", "use signal: {process: dotnet} (the kubelet restarts the container) or http: {url: http://127.0.0.1:8080/restart}")
		case r.Signal != nil && strings.TrimSpace(r.Signal.Process) == "":
			v.add("fig.restart.signal.process", "is required", "name the app's main process, e.g. dotnet (the pod needs shareProcessNamespace: true)")
		case r.Signal != nil && !rules.EndsProcess(r.Signal.Name):
			v.add("fig.restart.signal.name", fmt.Sprintf("%q is not a signal that ends the app", r.Signal.Name),
				"use SIGTERM (the default), SIGINT, SIGQUIT or SIGKILL: the app must exit so the kubelet starts it again; a reload signal belongs in notify.signal")
		case r.HTTP != nil && !isHTTPURL(r.HTTP.URL):
			v.add("fig.restart.http.url", fmt.Sprintf("%q is not an http(s) URL", r.HTTP.URL), "use the app's restart endpoint, e.g. http://127.0.0.1:8080/restart")
		}
	}
	if len(f.Overrides) > 0 && f.Register == "" {
		v.add("fig.overrides", "needs fig.register", "declare the settings in a fig.register file: overrides travel with the registration, as Fig.Client sends them")
	}
	for name := range f.Overrides {
		if strings.TrimSpace(name) == "" {
			v.add("fig.overrides", "has an empty setting name", "use setting names from the fig.register declaration, e.g. Database->Timeout")
		}
	}
}

// loopbackAppURLs refuses an application URL (restart, health) that is not
// on the pod's loopback: like notifications, they must reach the app in the
// same pod, not another server.
func loopbackAppURLs(f *Fig) []*FieldError {
	var errs []*FieldError
	check := func(path, u string) {
		if err := CheckNotifyURL(u); err != nil {
			errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf("%q %v", u, err), Fix: notifyFix})
		}
	}
	if r := f.Restart; r != nil && r.HTTP != nil {
		check("fig.restart.http.url", r.HTTP.URL)
	}
	if f.AppHealthURL != "" {
		check("fig.appHealthUrl", f.AppHealthURL)
	}
	return errs
}
