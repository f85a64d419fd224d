package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"slices"
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
	// Files keeps every file the configuration reads inside the mount meant
	// for it: a client secret only from the client Secret's mount,
	// templates and declarations only from the ConfigMap mounts, a CA bundle
	// only from the trust bundle's or the config's mount, and the federated
	// token only from TokenFile. Otherwise a ConfigMap could send the
	// federated token to Fig as the client secret, copy the client secret
	// into an app-readable output as a "template", or trust the output
	// (which Fig values fill) as a CA. Nil confines nothing.
	Files *FileDirs
	// TokenFile is the only azure.tokenFile allowed with Files: the
	// workload identity's AZURE_FEDERATED_TOKEN_FILE ("" at admission, where
	// the file must leave it out).
	TokenFile string
	// RelayURL is the only relay.url allowed with Files: the cluster's
	// relay ("" when the cluster runs none, where the file must leave relay
	// out). The agent sends its relay token there, so a ConfigMap must not
	// pick another server.
	RelayURL string
}

// FileDirs are the mount paths of what the agent may read besides the
// shared volume; the webhook mounts them read-only into the agent
// containers only, and hands them over in ConfineFilesEnv.
type FileDirs struct {
	ClientSecret string `json:"clientSecret"`
	Config       string `json:"config"`
	Template     string `json:"template"`
	CA           string `json:"ca"`
	// Relay holds the projected token for the relay's audience.
	Relay string `json:"relay"`
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
	relayURLFix         = "leave relay out (the webhook subscribes injected sidecars to the cluster's relay itself), or use the cluster's relay URL"
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
	if f := c.Fig; r.LoopbackNotify && f != nil {
		errs = append(errs, loopbackAppURLs(f)...)
	}
	if r.Files != nil {
		for _, e := range r.checkPaths(c) {
			add(e.Path, e.Problem, e.Fix)
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

// Limits of an output path: Linux's NAME_MAX for each name, and a total
// well inside PATH_MAX.
const (
	maxPathName = 255
	maxPath     = 1024
)

// systemDirs are directories whose whole tree belongs to the image: an
// output there would mount the shared volume over them in every app
// container, hiding the image's CA certificates, libraries or binaries.
var systemDirs = []string{"/etc/ssl", "/etc/pki", "/etc/ca-certificates", "/etc/ssh", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot"}

// CheckOutputPath reports what is wrong with an output path whose directory
// becomes a mount point in the pod's containers, or nil. The error
// completes a sentence whose subject is the path.
func CheckOutputPath(p string) error {
	dir := path.Dir(p)
	switch {
	case strings.IndexFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return errors.New("contains a control character (NUL, newline, …)")
	case len(p) > maxPath:
		return fmt.Errorf("is longer than %d bytes", maxPath)
	case slices.ContainsFunc(strings.Split(p, "/"), func(name string) bool { return len(name) > maxPathName }):
		return fmt.Errorf("has a name longer than %d bytes", maxPathName)
	case !path.IsAbs(p):
		return errors.New("is not an absolute path")
	case path.Clean(p) != p || strings.HasSuffix(p, "/"):
		return errors.New("is not a clean file path")
	case dir == "/":
		return errors.New("is in the root directory, which cannot be a mount point")
	case strings.HasPrefix(path.Base(p), "."):
		return errors.New("is a hidden file")
	}
	for _, system := range systemDirs {
		if dir == system || strings.HasPrefix(dir, system+"/") {
			return errors.New("would hide the image's system directory " + system)
		}
	}
	for _, reserved := range []string{"/etc/fig-injector", "/var/run/secrets", "/run/secrets", "/dev", "/proc", "/sys"} {
		if dir == reserved || strings.HasPrefix(dir, reserved+"/") || strings.HasPrefix(reserved, dir+"/") {
			return errors.New("overlaps the reserved path " + reserved)
		}
	}
	return nil
}

// checkPaths is the Files rule.
func (r ClusterRules) checkPaths(c *Config) []*FieldError {
	var errs []*FieldError
	d := r.Files
	confine := func(field, p, fix string, dirs ...string) {
		if p != "" && !inAny(p, dirs) {
			errs = append(errs, &FieldError{Path: field, Problem: fmt.Sprintf("%q is outside %s", p, strings.Join(dirs, " and ")), Fix: fix})
		}
	}
	if f := c.Fig; f != nil {
		confine("fig.clientSecret.file", f.ClientSecret.File, "leave it out and name the Secret in the fig-injector.io/client-secret annotation (<secret>/<key> is mounted at "+d.ClientSecret+"/<key>)", d.ClientSecret)
		confine("fig.register", f.Register, "put the declaration in the config's ConfigMap and name it "+d.Config+"/<key>", d.Config, d.Template)
	}
	for i, o := range c.Outputs {
		confine(fmt.Sprintf("outputs[%d].template", i), o.Template, "put the template in the config's ConfigMap and name it "+d.Config+"/<key>", d.Template, d.Config)
	}
	confine("tls.caFile", c.TLS.CAFile, "leave it out (the chart's trustBundle is mounted at "+d.CA+"), or put the CA bundle in the config's ConfigMap", d.CA, d.Config)
	if tf := c.Azure.TokenFile; tf != "" && tf != r.TokenFile {
		errs = append(errs, &FieldError{Path: "azure.tokenFile", Problem: fmt.Sprintf("%q is not the workload identity's token file", tf),
			Fix: "leave it out (the workload identity sets AZURE_FEDERATED_TOKEN_FILE)"})
	}
	if rl := c.Relay; rl != nil {
		if rl.URL != r.RelayURL {
			problem := fmt.Sprintf("%q is not the cluster's relay %s", rl.URL, r.RelayURL)
			if r.RelayURL == "" {
				problem = "is not allowed: the cluster runs no relay"
			}
			errs = append(errs, &FieldError{Path: "relay.url", Problem: problem, Fix: relayURLFix})
		}
		confine("relay.tokenFile", rl.TokenFile, "use "+d.Relay+"/token, the projected token the webhook mounts for the relay's audience", d.Relay)
	}
	return errs
}

// inAny reports whether p is a clean absolute path strictly below one of
// dirs (an empty dir contains nothing).
func inAny(p string, dirs []string) bool {
	if !path.IsAbs(p) || path.Clean(p) != p {
		return false
	}
	for _, d := range dirs {
		if d != "" && strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
