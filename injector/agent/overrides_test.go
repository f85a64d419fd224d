package agent_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/dev/figapi"
)

// TestOverridesBecomeExternallyManagedSettings: a pod's fig.overrides reach
// Fig with the registration, as Fig.Client's environment overrides do; Fig
// applies them to a client whose values were changed before, marks them
// externally managed, and the file carries them.
func TestOverridesBecomeExternallyManagedSettings(t *testing.T) {
	f := newFixture(t)
	declaration := t.TempDir() + "/settings.yaml"
	writeFile(t, declaration, `
description: Inventory service
settings:
  - {name: Warehouse, type: string, default: Rotterdam, description: Where stock lives}
  - {name: Limits->MaxItems, type: int, default: 250, description: Items per order}
`)
	f.cfg.Fig.ClientName = "Inventory"
	f.cfg.Fig.Register = declaration
	first, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	must(t, first.RenderOnce(context.Background()))
	must(t, f.env.Fig.SetValue("Inventory", "", "Warehouse", figapi.String("Antwerp"))) // changed in Fig before the next start

	f.cfg.Fig.Overrides = map[string]string{"limits->maxitems": "40"}
	a, err := agent.New(context.Background(), f.cfg, f.options())
	must(t, err)
	must(t, a.RenderOnce(context.Background()))
	if got := f.key("Limits:MaxItems"); got != "40" {
		t.Errorf("Limits:MaxItems = %q, want the override 40", got)
	}
	if got := f.key("Warehouse"); got != "Antwerp" {
		t.Errorf("Warehouse = %q, want Fig's Antwerp (not overridden)", got)
	}
	reg, _ := f.env.Fig.Registration("Inventory")
	if !strings.Contains(string(reg.Raw), `"ClientSettingOverrides":[{"$type":"Fig.Contracts.Settings.SettingDataContract, Fig.Contracts","Name":"Limits->MaxItems","IsSecret":false,"Value":{"$type":"Fig.Contracts.Settings.IntSettingDataContract, Fig.Contracts","Value":40}}]`) {
		t.Errorf("registration does not carry the override as Fig.Client sends it:\n%s", reg.Raw)
	}
	for _, c := range f.env.Fig.Clients() {
		if c.Name != "Inventory" {
			continue
		}
		for _, s := range c.Settings {
			if s.ExternallyManaged != (s.Name == "Limits->MaxItems") {
				t.Errorf("%s: externally managed %v", s.Name, s.ExternallyManaged)
			}
		}
	}
}

// TestOverrideOfAnUnknownSettingIsRefused: the agent will not start with an
// override the declaration cannot carry, and says which and how to fix it.
func TestOverrideOfAnUnknownSettingIsRefused(t *testing.T) {
	f := newFixture(t)
	declaration := t.TempDir() + "/settings.yaml"
	writeFile(t, declaration, "settings:\n  - {name: Warehouse, type: string, description: d}\n")
	f.cfg.Fig.ClientName = "Inventory"
	f.cfg.Fig.Register = declaration
	f.cfg.Fig.Overrides = map[string]string{"Wherehouse": "Oslo"}
	_, err := agent.New(context.Background(), f.cfg, f.options())
	if err == nil || !strings.Contains(err.Error(), "fig.overrides: Wherehouse: is not a setting of the declaration; fix:") {
		t.Fatalf("New = %v, want the override named with a fix", err)
	}
}
