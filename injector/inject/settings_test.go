package inject_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/fig-injector/fig-injector/injector/inject"
)

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*inject.Settings)
		field  string // "" = valid
	}{
		{"defaults are valid", func(*inject.Settings) {}, ""},
		{"image", func(s *inject.Settings) { s.Image = "" }, "image:"},
		{"pull policy", func(s *inject.Settings) { s.ImagePullPolicy = "Sometimes" }, "imagePullPolicy:"},
		{"port", func(s *inject.Settings) { s.Port = 70000 }, "port:"},
		{"root", func(s *inject.Settings) { s.RunAsUser = -1 }, "runAsUser:"},
		{"size", func(s *inject.Settings) { q := resource.MustParse("0"); s.VolumeSizeLimit = &q }, "volumeSizeLimit:"},
		{"default fig uri", func(s *inject.Settings) { s.FigAPIURI = "http://fig" }, "figApiUri:"},
		{"allowed fig uri", func(s *inject.Settings) { s.AllowedFigURIs = []string{"https://u@fig"} }, "allowedFigUris[0]:"},
		{"suffix tld", func(s *inject.Settings) { s.AllowedKeyVaultSuffixes = []string{"net"} }, "allowedKeyVaultSuffixes[0]:"},
		{"suffix ip", func(s *inject.Settings) { s.AllowedKeyVaultSuffixes = []string{"127.0.0.1"} }, "allowedKeyVaultSuffixes[0]:"},
		{"authority", func(s *inject.Settings) { s.AzureAuthorityHost = "http://login" }, "azureAuthorityHost:"},
		{"relay", withRelay, ""},
		{"relay over http", func(s *inject.Settings) { withRelay(s); s.RelayURL = "http://relay.svc:8443" }, "relayUrl:"},
		{"relay without audience", func(s *inject.Settings) { withRelay(s); s.RelayAudience = "" }, "relayAudience:"},
		{"audience without relay", func(s *inject.Settings) { s.RelayAudience = "fig-injector-relay" }, "relayUrl:"},
		{"trust bundle", func(s *inject.Settings) { s.TrustBundle = &inject.ConfigMapRef{Name: "Bad_Name"} }, "trustBundle.name:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings()
			tc.change(&s)
			s.ApplyDefaults()
			err := s.Validate()
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.field != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.field)):
				t.Errorf("got %v, want an error starting with %q", err, tc.field)
			}
		})
	}
}

// TestAllowlistAccepts: what the relaxations allow, for emulators and
// in-cluster Fig without TLS.
func TestAllowlistAccepts(t *testing.T) {
	s := testSettings()
	s.AllowHTTP, s.AllowIPLiterals = true, true
	s.AllowedFigURIs = append(s.AllowedFigURIs, "http://127.0.0.1:5051", "https://fig.example")
	s.AllowedKeyVaultSuffixes = append(s.AllowedKeyVaultSuffixes, "127.0.0.1", "vault.localhost")
	for _, tc := range []struct{ annotation, value string }{
		{inject.FigAPIURIAnnotation, "http://127.0.0.1:5051/"},
		{inject.FigAPIURIAnnotation, "https://fig.example:443/any/path"},
		{inject.FigAPIURIAnnotation, "https://fig-api.fig-blue.svc:8080/api/"},
		{inject.KeyVaultAnnotation, "https://127.0.0.1:8443/"},
		{inject.KeyVaultAnnotation, "https://orders.vault.localhost:8443"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			kv := []string{inject.KeyVaultAnnotation, "https://kv.vault.azure.net/", inject.KeyVaultPrefixAnnotation, "Orders--"}
			pod := newPod(basic(kv...))
			pod.Annotations[tc.annotation] = tc.value
			if err := mutate(t, pod, s, ""); err != nil {
				t.Errorf("denied: %v", err)
			}
		})
	}
}
