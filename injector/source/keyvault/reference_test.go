package keyvault_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

func TestParseReference(t *testing.T) {
	const kv = "https://kv-orders.vault.azure.net/"
	tests := []struct {
		name string
		in   string
		want keyvault.Ref // Raw is filled in from in
	}{
		{"SecretUri latest", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password)",
			keyvault.Ref{VaultURL: kv, Name: "db-password"}},
		{"SecretUri trailing slash", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password/)",
			keyvault.Ref{VaultURL: kv, Name: "db-password"}},
		{"SecretUri version", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password/ec96f02080254f109c51a1f14cdb1931)",
			keyvault.Ref{VaultURL: kv, Name: "db-password", Version: "ec96f02080254f109c51a1f14cdb1931"}},
		{"SecretUri version trailing slash", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password/ec96f02080254f109c51a1f14cdb1931/)",
			keyvault.Ref{VaultURL: kv, Name: "db-password", Version: "ec96f02080254f109c51a1f14cdb1931"}},
		{"case variants", "@microsoft.KEYVAULT(secreturi=HTTPS://KV-Orders.Vault.Azure.NET/Secrets/DB-Password/)",
			keyvault.Ref{VaultURL: kv, Name: "DB-Password"}},
		{"white space everywhere", "  @Microsoft.KeyVault ( SecretUri = https://kv-orders.vault.azure.net/secrets/db-password ; )\t",
			keyvault.Ref{VaultURL: kv, Name: "db-password"}},
		{"default port dropped", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net:443/secrets/db-password)",
			keyvault.Ref{VaultURL: kv, Name: "db-password"}},
		{"emulator on a loopback port", "@Microsoft.KeyVault(SecretUri=https://127.0.0.1:8443/secrets/db-password)",
			keyvault.Ref{VaultURL: "https://127.0.0.1:8443/", Name: "db-password"}},
		{"sovereign cloud URI", "@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.cn/secrets/db-password)",
			keyvault.Ref{VaultURL: "https://kv-orders.vault.azure.cn/", Name: "db-password"}},
		{"VaultName", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db-password)",
			keyvault.Ref{VaultURL: kv, VaultName: "kv-orders", Name: "db-password"}},
		{"VaultName with version", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db-password;SecretVersion=ec96f02080254f109c51a1f14cdb1931)",
			keyvault.Ref{VaultURL: kv, VaultName: "kv-orders", Name: "db-password", Version: "ec96f02080254f109c51a1f14cdb1931"}},
		{"VaultName keys in any case, order and spacing", "@Microsoft.KeyVault( secretversion = abc123 ; SECRETNAME=db-password;vaultname = KV-Orders ;)",
			keyvault.Ref{VaultURL: kv, VaultName: "KV-Orders", Name: "db-password", Version: "abc123"}},
		{"VaultName empty SecretVersion is latest", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db-password;SecretVersion=)",
			keyvault.Ref{VaultURL: kv, VaultName: "kv-orders", Name: "db-password"}},
		{"longest secret name", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=" + strings.Repeat("a", 127) + ")",
			keyvault.Ref{VaultURL: kv, VaultName: "kv-orders", Name: strings.Repeat("a", 127)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := keyvault.ParseReference(tt.in)
			if err != nil || !ok {
				t.Fatalf("ParseReference = ok %v, err %v", ok, err)
			}
			tt.want.Raw = tt.in
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReferenceNotAReference(t *testing.T) {
	for _, in := range []string{
		"",
		"plain value",
		"@Microsoft.KeyVaultish",
		"@Microsoft.KeyVault",
		"@Microsoft.KeyVault SecretUri=https://kv.vault.azure.net/secrets/a",
		"Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a)",
		"see @Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a)",
		"https://kv.vault.azure.net/secrets/a",
	} {
		got, ok, err := keyvault.ParseReference(in)
		if ok || err != nil || got != (keyvault.Ref{}) {
			t.Errorf("ParseReference(%q) = %+v, %v, %v; want not a reference", in, got, ok, err)
		}
	}
}

func TestParseReferenceMalformed(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no closing parenthesis", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a", `missing the closing ")"`},
		{"text after parenthesis", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a) and more", `unexpected text after the closing ")"`},
		{"empty", "@Microsoft.KeyVault()", "the parentheses are empty"},
		{"only separators", "@Microsoft.KeyVault( ; ; )", "the parentheses are empty"},
		{"unknown key", "@Microsoft.KeyVault(Secret=https://kv.vault.azure.net/secrets/a)", `unknown key "Secret"`},
		{"no equals sign", "@Microsoft.KeyVault(SecretUri)", `"SecretUri" has no "="`},
		{"empty value", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=)", "SecretName is empty"},
		{"duplicate key", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=a;secretname=b)", "SecretName is given twice"},
		{"http", "@Microsoft.KeyVault(SecretUri=http://kv.vault.azure.net/secrets/a)", "SecretUri: not an https URL"},
		{"not secrets path", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/keys/a)", "the path is not /secrets/<name>[/<version>]"},
		{"no name", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/)", "the path is not /secrets/<name>[/<version>]"},
		{"too deep", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a/v1/x)", "the path is not /secrets/<name>[/<version>]"},
		{"query", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a?api-version=7.4)", "query and fragment are not allowed"},
		{"user info", "@Microsoft.KeyVault(SecretUri=https://me@kv.vault.azure.net/secrets/a)", "user info"},
		{"bad host", "@Microsoft.KeyVault(SecretUri=https://kv_orders.vault.azure.net/secrets/a)", `host "kv_orders.vault.azure.net" is not a host name`},
		{"SecretUri and VaultName", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a;VaultName=kv)", "SecretUri cannot be combined with VaultName"},
		{"SecretName without VaultName", "@Microsoft.KeyVault(SecretName=a)", "neither SecretUri nor VaultName is given"},
		{"VaultName without SecretName", "@Microsoft.KeyVault(VaultName=kv-orders)", "SecretName is missing"},
		{"bad vault name", "@Microsoft.KeyVault(VaultName=k;SecretName=a)", `VaultName "k" is not a vault name`},
		{"vault name with double hyphen", "@Microsoft.KeyVault(VaultName=kv--orders;SecretName=a)", `VaultName "kv--orders" is not a vault name`},
		{"underscore in secret name", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db_password)", `secret name "db_password" is not valid`},
		{"secret name too long", "@Microsoft.KeyVault(VaultName=kv-orders;SecretName=" + strings.Repeat("a", 128) + ")", "is not valid (1-127 letters, digits and dashes)"},
		{"bad version", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/a/v-1)", `secret version "v-1" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := keyvault.ParseReference(tt.in)
			if err == nil || !ok {
				t.Fatalf("ParseReference = %+v, ok %v, err %v; want ok and an error", got, ok, err)
			}
			msg := err.Error()
			for _, w := range []string{tt.want, "@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>[/<version>])", "@Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>[;SecretVersion=<version>])"} {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not contain %q", msg, w)
				}
			}
		})
	}
}

func TestParserResolvesVaultNames(t *testing.T) {
	tests := []struct {
		name   string
		parser keyvault.Parser
		want   string
	}{
		{"default suffix", keyvault.Parser{}, "https://kv-orders.vault.azure.net/"},
		{"sovereign suffix", keyvault.Parser{DNSSuffix: ".Vault.Azure.CN"}, "https://kv-orders.vault.azure.cn/"},
		{"configured vault wins", keyvault.Parser{DNSSuffix: "vault.azure.cn", Vaults: map[string]string{"KV-ORDERS": "https://127.0.0.1:8443/"}}, "https://127.0.0.1:8443/"},
		{"other configured vault", keyvault.Parser{Vaults: map[string]string{"kv-other": "https://127.0.0.1:8443/"}}, "https://kv-orders.vault.azure.net/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := tt.parser.Parse("@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db-password)")
			if err != nil || !ok {
				t.Fatalf("Parse = ok %v, err %v", ok, err)
			}
			if got.VaultURL != tt.want {
				t.Errorf("VaultURL = %q, want %q", got.VaultURL, tt.want)
			}
		})
	}
}

func TestParseSecretURI(t *testing.T) {
	got, err := keyvault.ParseSecretURI(" https://KV.vault.azure.net/secrets/fig-orderservice-secret/ ")
	if err != nil {
		t.Fatal(err)
	}
	want := keyvault.Ref{Raw: " https://KV.vault.azure.net/secrets/fig-orderservice-secret/ ", VaultURL: "https://kv.vault.azure.net/", Name: "fig-orderservice-secret"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for in, msg := range map[string]string{
		"https://kv.vault.azure.net/keys/a":      "the path is not",
		"http://kv.vault.azure.net/secrets/a":    "not an https URL",
		"https://kv.vault.azure.net/secrets/a_b": `secret name "a_b" is not valid`,
	} {
		if _, err := keyvault.ParseSecretURI(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseSecretURI(%q) error = %v, want %q", in, err, msg)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password)",
		"@Microsoft.KeyVault(SecretUri=https://kv-orders.vault.azure.net/secrets/db-password/ec96f02080254f109c51a1f14cdb1931/)",
		"@Microsoft.KeyVault(VaultName=kv-orders;SecretName=db-password;SecretVersion=abc)",
		"  @microsoft.keyvault ( vaultname = kv ; secretname = a ; )",
		"@Microsoft.KeyVault(SecretUri=https://[::1]:8443/secrets/a)",
		"@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net:443/secrets/a%2Fb)",
		"@Microsoft.KeyVault(",
		"@Microsoft.KeyVault()",
		"@Microsoft.KeyVault(=;=)",
		"plain",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, ok, err := keyvault.ParseReference(s)
		if !ok {
			if err != nil || ref != (keyvault.Ref{}) {
				t.Fatalf("not a reference but got %+v, %v", ref, err)
			}
			return
		}
		if err != nil {
			if !strings.Contains(err.Error(), "accepted forms") {
				t.Fatalf("error without the accepted forms: %v", err)
			}
			return
		}
		if ref.Raw != s || !strings.HasPrefix(ref.VaultURL, "https://") || !strings.HasSuffix(ref.VaultURL, "/") || ref.Name == "" || len(ref.Name) > 127 {
			t.Fatalf("invalid result %+v", ref)
		}
		// The canonical SecretUri form of the result parses back to it.
		uri := ref.VaultURL + "secrets/" + ref.Name
		if ref.Version != "" {
			uri += "/" + ref.Version
		}
		again, ok, err := keyvault.ParseReference("@Microsoft.KeyVault(SecretUri=" + uri + ")")
		if err != nil || !ok {
			t.Fatalf("canonical form %s does not parse: %v", uri, err)
		}
		if again.VaultURL != ref.VaultURL || again.Name != ref.Name || again.Version != ref.Version {
			t.Fatalf("round trip %+v != %+v", again, ref)
		}
	})
}
