package webhook

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(testConfig + "volumeSizeLimit: 4Mi\nfigPollInterval: 10s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"kube-system", "fig-system"}, cfg.ExcludedNamespaces); d != "" {
		t.Error(d)
	}
	if cfg.VolumeSizeLimit.Cmp(resource.MustParse("4Mi")) != 0 || cfg.FigPollInterval.D().String() != "10s" || cfg.Port != 9102 {
		t.Errorf("settings not parsed or defaulted: %+v", cfg.Settings)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "image: x\nimagePullPolcy: Always\n", `unknown field "imagePullPolcy"`},
		{"duplicate key", "image: x\nimage: y\n", `"image"`},
		{"not yaml", "image: [", "not valid YAML"},
		{"missing image", "nativeSidecar: true\n", "image: is required"},
		{"bad suffix", "image: x\nallowedKeyVaultSuffixes: [com]\n", "allowedKeyVaultSuffixes[0]:"},
		{"bad namespace", "image: x\nexcludedNamespaces: [Kube_System]\n", "excludedNamespaces[0]:"},
		{"bad duration", "image: x\nkeyVaultPollInterval: soon\n", "keyVaultPollInterval:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
