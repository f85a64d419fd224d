package offline

import (
	"errors"
	"fmt"
	"time"

	"github.com/fig-injector/fig-injector/injector/source/fig"
	"github.com/fig-injector/fig-injector/injector/source/fig/contract"
	"github.com/fig-injector/fig-injector/injector/source/fig/dotnet"
)

// containerType is OfflineSettingContainer's "$type" as JsonSettings.FigDefault
// writes it (TypeNameHandling.Objects, Newtonsoft's default Simple assembly
// format).
const containerType = "Fig.Client.OfflineSettings.OfflineSettingContainer, Fig.Client"

// Copy is an OfflineSettingContainer: the settings of one fetch and when
// they were fetched.
type Copy struct {
	PersistedUtc time.Time
	Settings     []fig.Setting
}

// Seal serializes c as OfflineSettingsManager.Save does
// (JsonConvert.SerializeObject(container, JsonSettings.FigDefault):
// "$type", PersistedUtc, Settings) and encrypts it with clientSecret. The
// result is the Base64 text Fig.Client writes into its .dat file (after
// BinaryWriter's length prefix, BinaryFile.cs).
func Seal(clientSecret string, c Copy) (string, error) {
	return Encrypt(clientSecret, string(Marshal(c)))
}

// Marshal is the plaintext Seal encrypts.
func Marshal(c Copy) []byte {
	var w dotnet.Writer
	w.Open(containerType)
	w.Key("PersistedUtc")
	w.Str(dotnet.NewtonsoftTime(c.PersistedUtc.UTC()))
	w.Key("Settings")
	settings := make([]contract.SettingOverride, len(c.Settings))
	for i, s := range c.Settings {
		settings[i] = contract.SettingOverride{Name: s.Name, IsSecret: s.IsSecret, Value: s.Value}
	}
	contract.WriteSettings(&w, settings)
	w.Close()
	return w.Bytes()
}

// Open decrypts and reads a copy as OfflineSettingsManager.Get does. A copy
// that does not decrypt, or decrypts to something that is not a container
// (the secret changed), is an error matching ErrDecrypt: Fig.Client deletes
// such a copy, and so should the caller. Errors never quote the plaintext.
func Open(clientSecret, ciphertext string) (Copy, error) {
	plain, err := Decrypt(clientSecret, ciphertext)
	if err != nil {
		return Copy{}, err
	}
	c, err := unmarshal([]byte(plain))
	if err != nil {
		return Copy{}, fmt.Errorf("%w: %v", ErrDecrypt, err)
	}
	return c, nil
}

func unmarshal(data []byte) (Copy, error) {
	members, null, err := dotnet.ReadObject(data)
	if err != nil || null {
		return Copy{}, errors.New("not an OfflineSettingContainer")
	}
	var c Copy
	if raw, ok := dotnet.Lookup(members, "PersistedUtc"); ok {
		if s, ok := dotnet.Unquote(raw); ok {
			c.PersistedUtc, _ = time.Parse(time.RFC3339Nano, s) // informational only
		}
	}
	raw, ok := dotnet.Lookup(members, "Settings")
	if !ok || dotnet.IsNull(raw) {
		return Copy{}, errors.New("the container has no settings")
	}
	if c.Settings, err = fig.Decode(raw); err != nil {
		return Copy{}, err
	}
	return c, nil
}
