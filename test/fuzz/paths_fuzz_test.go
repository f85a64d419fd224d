package fuzz

import (
	"path"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/config"
)

// pathSeeds are paths a pod author might try: the legitimate mounts, and
// the escapes of issue 12 items 7 and 13 (dot-dot, doubled slashes, NUL,
// long names, system directories, /dev/zero, the token and the output).
var pathSeeds = []string{
	"/fig/appsettings.json", "/etc/fig-injector/client-secret/secret", "/etc/fig-injector/config/settings.yaml",
	"/etc/fig-injector/template/../client-secret/secret", "/etc/fig-injector/ca//ca.crt", "/etc/fig-injector/ca",
	"/fig/a\x00.json", "/fig/" + strings.Repeat("a", 256), "/etc/ssl/certs/x.json", "/dev/zero",
	"/var/run/secrets/azure/tokens/azure-identity-token", "relative/path", "", "/", "/etc/fig-injector/config/",
}

// FuzzCheckOutputPath: CheckOutputPath never panics, and a path it accepts
// is clean and absolute, free of control characters, with names of at most
// 255 bytes, and its directory is no system directory and not the root.
func FuzzCheckOutputPath(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if config.CheckOutputPath(p) != nil {
			return
		}
		dir := path.Dir(p)
		switch {
		case !path.IsAbs(p) || path.Clean(p) != p || dir == "/":
			t.Fatalf("accepted %q: not a clean absolute path below a directory", p)
		case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			t.Fatalf("accepted %q with a control character", p)
		case dir == "/etc/ssl" || strings.HasPrefix(dir, "/etc/ssl/") || dir == "/usr" || strings.HasPrefix(dir, "/usr/"):
			t.Fatalf("accepted %q over a system directory", p)
		}
		for _, name := range strings.Split(p, "/") {
			if len(name) > 255 {
				t.Fatalf("accepted %q with a name of %d bytes", p, len(name))
			}
		}
	})
}

// FuzzConfinedPaths: with ClusterRules.Files, a configuration whose client
// secret, template and CA bundle name the fuzzed path passes the rules only
// if the path is clean and strictly inside the mount meant for each.
func FuzzConfinedPaths(f *testing.F) {
	for _, s := range pathSeeds {
		f.Add(s)
	}
	dirs := config.FileDirs{ClientSecret: "/etc/fig-injector/client-secret", Config: "/etc/fig-injector/config",
		Template: "/etc/fig-injector/template", CA: "/etc/fig-injector/ca", Relay: "/var/run/secrets/fig-injector/relay"}
	rules := config.ClusterRules{Files: &dirs}
	f.Fuzz(func(t *testing.T, p string) {
		c := &config.Config{
			Fig:     &config.Fig{ClientSecret: config.ClientSecret{File: p}, Register: p},
			Outputs: []config.Output{{Path: "/fig/a", Format: "template", Template: p}},
			TLS:     config.TLS{CAFile: p},
		}
		refused := map[string]bool{}
		for _, e := range rules.Check(c) {
			refused[e.Path] = true
		}
		inside := func(dirs ...string) bool {
			for _, d := range dirs {
				if strings.HasPrefix(p, d+"/") && path.Clean(p) == p {
					return true
				}
			}
			return false
		}
		for field, ok := range map[string]bool{
			"fig.clientSecret.file": p == "" || inside(dirs.ClientSecret),
			"fig.register":          p == "" || inside(dirs.Config, dirs.Template),
			"outputs[0].template":   p == "" || inside(dirs.Template, dirs.Config),
			"tls.caFile":            p == "" || inside(dirs.CA, dirs.Config),
		} {
			if refused[field] == ok {
				t.Fatalf("%s %q: refused %v, want %v", field, p, refused[field], !ok)
			}
		}
	})
}
