package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
)

// ClusterRules are what a cluster requires of a configuration besides the
// URI allowlists: where the pod's federated token may go, whether the Azure
// SDK's second line of defence may be switched off, where notifications and
// outputs may go. They live here so that both layers apply the same rules:
// the webhook at admission to a ConfigMap configuration (from its settings),
// and the agent at load and on every reload (from what the webhook handed
// over in its environment, see Allowlist), because a ConfigMap can be edited
// after admission.
//
// The zero ClusterRules restricts nothing.
type ClusterRules struct {
	// AuthorityHost is the only azure.authorityHost the configuration may
	// name (a trailing slash is ignored); "" allows any. The authority
	// receives the pod's federated service-account token.
	AuthorityHost string
	// KeepChallengeResourceVerification refuses
	// azure.disableChallengeResourceVerification: true, which would let a
	// vault outside the Key Vault DNS suffixes receive a token.
	KeepChallengeResourceVerification bool
	// LoopbackNotify requires notify.http.url to be on the pod's loopback.
	LoopbackNotify bool
	// OutputDir is the directory every output must be in or below (the
	// shared volume's mount path); every output path must also pass
	// CheckOutputPath. "" allows any.
	OutputDir string
}

// Fixes of ClusterRules refusals. They read the same at admission and in
// the agent.
const (
	authorityHostFix = "leave azure.authorityHost out (the cluster sets it; the webhook hands its authority to the agent in " +
		AllowedAzureAuthorityHostEnv + ")"
	envAuthorityHostFix = "remove " + AzureAuthorityHostEnv + " from the pod's containers, or set it to the cluster's authority (the agent copies an app container's workload identity env)"
	challengeFix        = "remove azure.disableChallengeResourceVerification (it lets a vault outside the Key Vault DNS suffixes receive a token)"
	notifyFix           = "use http://127.0.0.1:<port>/<path>"
	outputFix           = "use files in a directory of their own, e.g. /fig/appsettings.json"
)

// Check returns one *FieldError per field the rules refuse, in the order of
// the file, each with the fix. Nil when the configuration obeys them.
func (r ClusterRules) Check(c *Config) []*FieldError {
	var errs []*FieldError
	add := func(path, problem, fix string) {
		errs = append(errs, &FieldError{Path: path, Problem: problem, Fix: fix})
	}
	if r.AuthorityHost != "" {
		if a := c.Azure.AuthorityHost; a != "" && !SameAuthorityHost(a, r.AuthorityHost) {
			add("azure.authorityHost", fmt.Sprintf("%q is not the cluster's authority %s", a, r.AuthorityHost), authorityHostFix)
		}
	}
	if r.KeepChallengeResourceVerification && c.Azure.DisableChallengeResourceVerification {
		add("azure.disableChallengeResourceVerification", "is not allowed in this cluster", challengeFix)
	}
	if h := c.Notify.HTTP; r.LoopbackNotify && h != nil {
		if err := CheckNotifyURL(h.URL); err != nil {
			add("notify.http.url", fmt.Sprintf("%q %v", h.URL, err), notifyFix)
		}
	}
	if dir := r.OutputDir; dir != "" {
		for i, o := range c.Outputs {
			p := fmt.Sprintf("outputs[%d].path", i)
			if err := CheckOutputPath(o.Path); err != nil {
				add(p, fmt.Sprintf("%q %v", o.Path, err), outputFix)
			} else if d := path.Dir(o.Path); d != dir && !strings.HasPrefix(d, strings.TrimSuffix(dir, "/")+"/") {
				add(p, fmt.Sprintf("%q is outside %s", o.Path, dir), "write every output below "+dir+" (the shared volume is mounted there)")
			}
		}
	}
	return errs
}

// SameAuthorityHost compares two authority host URLs, ignoring a trailing
// slash (https://login.microsoftonline.com and …com/ are one authority).
func SameAuthorityHost(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// CheckNotifyURL reports why an HTTP notification URL is not on the pod's
// loopback (http to localhost or a loopback address), or nil: the
// notification must reach the app in the same pod, not another server. The
// error completes a sentence whose subject is the URL.
func CheckNotifyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
		return errors.New("is not on the pod's loopback")
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckOutputPath reports what is wrong with an output path whose directory
// becomes a mount point in the pod's containers, or nil. The error
// completes a sentence whose subject is the path.
func CheckOutputPath(p string) error {
	dir := path.Dir(p)
	switch {
	case !path.IsAbs(p):
		return errors.New("is not an absolute path")
	case path.Clean(p) != p || strings.HasSuffix(p, "/"):
		return errors.New("is not a clean file path")
	case dir == "/":
		return errors.New("is in the root directory, which cannot be a mount point")
	case strings.HasPrefix(path.Base(p), "."):
		return errors.New("is a hidden file")
	}
	for _, reserved := range []string{"/etc/fig-injector", "/var/run/secrets", "/run/secrets", "/dev", "/proc", "/sys"} {
		if dir == reserved || strings.HasPrefix(dir, reserved+"/") || strings.HasPrefix(reserved, dir+"/") {
			return errors.New("overlaps the reserved path " + reserved)
		}
	}
	return nil
}
