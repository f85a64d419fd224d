package offline_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/offline"
)

const testSecret = "d3b07384d113edec49eaa6238ad5ff00c86f"

// TestEncryptMatchesFigClient checks one fixed input against the output of
// Fig.Client's algorithm computed apart from this code: Python's
// hashlib.pbkdf2_hmac("sha1", secret UTF-8, Cryptography._salt, 1000, 48)
// gives key ba6294f4…6465 and IV 6e2a63cc…b0b3, and
// `openssl enc -aes-256-cbc -K <key> -iv <iv>` (PKCS#7 by default) over the
// UTF-16LE bytes of the plaintext, Base64-encoded, gives the text below.
func TestEncryptMatchesFigClient(t *testing.T) {
	const plaintext = `{"Name":"Location","Value":"Zürich"}`
	const want = "CPavy7y+o3aWTAzag4VEQX4IXtSgaXXUepwAavXWg6m+Y3SeQQOzXRdH88ZuJdpLsUuOabeXLXTmw80++n8qQ/1O3DeeUqUwuUN1G9ytXJ4="
	got, err := offline.Encrypt(testSecret, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Encrypt = %s\nwant      %s", got, want)
	}
	back, err := offline.Decrypt(testSecret, want)
	if err != nil || back != plaintext {
		t.Errorf("Decrypt(vector) = %q, %v; want the plaintext", back, err)
	}
}

func TestEncryptRoundTrips(t *testing.T) {
	for _, plain := range []string{"a", "exactly sixteen!", "😀 non-BMP and ü", strings.Repeat("x", 1000)} {
		c, err := offline.Encrypt(testSecret, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 8 && strings.Contains(c, plain) {
			t.Errorf("ciphertext holds the plaintext %q", plain)
		}
		got, err := offline.Decrypt(testSecret, c)
		if err != nil || got != plain {
			t.Errorf("round trip of %q = %q, %v", plain, got, err)
		}
	}
	// Fig.Client: string.IsNullOrEmpty → string.Empty, both ways.
	if c, err := offline.Encrypt(testSecret, ""); c != "" || err != nil {
		t.Errorf("Encrypt(\"\") = %q, %v; want \"\"", c, err)
	}
}

func TestDecryptWithAnotherSecretFails(t *testing.T) {
	c, err := offline.Seal(testSecret, offline.Copy{PersistedUtc: time.Now(), Settings: settings()})
	if err != nil {
		t.Fatal(err)
	}
	for name, ct := range map[string]string{"rotated secret": c, "not base64": "%%%", "not whole blocks": "AAAA"} {
		secret := testSecret
		if name == "rotated secret" {
			secret = "another-secret-of-the-same-client-0001"
		}
		if _, err := offline.Open(secret, ct); !errors.Is(err, offline.ErrDecrypt) {
			t.Errorf("%s: Open error = %v, want ErrDecrypt", name, err)
		}
	}
}

func settings() []fig.Setting {
	return []fig.Setting{
		{Name: "Location", Value: contract.StringValue("Zürich")},
		{Name: "Api->Key", IsSecret: true, Value: contract.StringValue("s3cr3t-value")},
		{Name: "Port", Value: contract.IntValue(8080)},
		{Name: "Cutoff", Value: contract.NullValue(contract.KindDateTime)},
		{Name: "Hosts", Value: contract.DataGridValue([]contract.Row{{{Column: "Host", Raw: []byte(`"h1"`)}}})},
	}
}

// TestCopyIsFigClientsContainer: the plaintext is OfflineSettingContainer
// as JsonSettings.FigDefault writes it, and it reads back to the same
// settings.
func TestCopyIsFigClientsContainer(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 18, 53, 123456700, time.UTC)
	in := offline.Copy{PersistedUtc: at, Settings: settings()}
	plain := string(offline.Marshal(in))
	for _, want := range []string{
		`{"$type":"Fig.Client.OfflineSettings.OfflineSettingContainer, Fig.Client","PersistedUtc":"2026-12-06T10:18:53.1234567Z","Settings":[`,
		`{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","Name":"Location","IsSecret":false,"Value":{"$type":"Fig.Contracts.Settings.StringSettingDataContract, Fig.Contracts","Value":"Zürich"}}`,
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("plaintext lacks %s\nin %s", want, plain)
		}
	}
	sealed, err := offline.Seal(testSecret, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := offline.Open(testSecret, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if !out.PersistedUtc.Equal(at) {
		t.Errorf("PersistedUtc = %v, want %v", out.PersistedUtc, at)
	}
	if diff := cmp.Diff(string(offline.Marshal(in)), string(offline.Marshal(out))); diff != "" {
		t.Errorf("settings changed in the round trip (-in +out):\n%s", diff)
	}
	if len(out.Settings) != len(in.Settings) || out.Settings[1].Name != "Api->Key" || !out.Settings[1].IsSecret {
		t.Errorf("settings read back = %d, want %d with the secret flag kept", len(out.Settings), len(in.Settings))
	}
}
