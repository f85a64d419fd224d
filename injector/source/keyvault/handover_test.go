package keyvault_test

import (
	"encoding/json"
	"testing"

	"github.com/fig-injector/fig-injector/injector/source/keyvault"
)

// An init container hands its snapshot to the sidecar: the sidecar's first
// poll of an unchanged vault costs what any idle poll costs, not a refetch.
func TestHandoverRestoresASnapshotThatPollsIdle(t *testing.T) {
	e := newEnv(t)
	e.seed("s%04d", 100)
	init := e.vault(keyvault.VaultOptions{})
	snap, err := init.Fetch(testContext(t), mapAll("s%04d", 100))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(snap.Handover())
	if err != nil {
		t.Fatal(err)
	}
	var h keyvault.Handover
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	sidecar := e.vault(keyvault.VaultOptions{}) // another process: a new Vault
	restored, err := sidecar.Restore(h)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := valueOf(restored, "K0042"), valueOf(snap, "K0042"); got != want {
		t.Errorf("restored K0042 = %q, want %q", got, want)
	}
	// The first poll of a new Vault also pays its challenge round trip,
	// which the emulator does not count as a list or a get.
	before := e.counts()
	restored, changed, err := sidecar.Poll(testContext(t), restored)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.counts().minus(before); got != (counts{4, 0}) || changed {
		t.Errorf("first sidecar poll cost %+v (changed %v), want 4 lists, no gets, no change", got, changed)
	}
	e.set("s0042", "rotated")
	next := poll(t, e, sidecar, restored, counts{4, 1}, true)
	if got := valueOf(next, "K0042"); got != "rotated" {
		t.Errorf("K0042 after rotation = %q", got)
	}
}

func TestRestoreRefusesAnotherVaultsHandover(t *testing.T) {
	e := newEnv(t)
	v := e.vault(keyvault.VaultOptions{})
	if _, err := v.Restore(keyvault.Handover{Vault: "https://other.vault.azure.net/"}); err == nil {
		t.Error("Restore accepted a handover from another vault")
	}
}
