package dev

import (
	"errors"
	"time"

	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// DemoChangeAfter is how long `fig-injector dev --demo` shows the first
// file before changing a value itself, so that a newcomer sees the file
// follow without editing anything.
const DemoChangeAfter = 3 * time.Second

// The values DemoChange sets: Location in Fig, api-key in Key Vault.
const (
	DemoLocation = "Utrecht"
	DemoAPIKey   = "dev-api-key-0002"
)

// DemoChange is the demo's own change: what an admin would do, on the
// example seed (examples/dev/seed.yaml): change Location in Fig's UI and
// rotate the api-key secret in Key Vault. It returns the sentence that tells
// the user so; a seed of one's own may lack the client or the vault, and
// the error then says which.
func (e *Env) DemoChange() (string, error) {
	if err := e.Fig.SetValue("OrderService", "", "Location", figapi.String(DemoLocation)); err != nil {
		return "", err
	}
	kv, ok := e.Vaults["orders-kv"]
	if !ok {
		return "", errors.New("no vault orders-kv")
	}
	if _, err := kv.SetSecret("api-key", DemoAPIKey); err != nil {
		return "", err
	}
	return "The demo changed Location to Utrecht in Fig and rotated api-key in Key Vault (a new version, dev-api-key-0002):", nil
}
