package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/fig-injector/fig-injector/injector/merge"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/source"
)

// errUnresolved marks a render held back because a Key Vault reference in a
// Fig value has no value yet; the last good file stays.
var errUnresolved = errors.New("unresolved Key Vault references")

// merged merges the last good values of every source.
func (a *Agent) merged() (merge.Result, error) {
	in := merge.Input{Fig: a.state.fig, Resolved: map[string]secret.Value{}}
	for _, v := range a.vaults.all() {
		if v.snap == nil {
			continue
		}
		maps.Copy(in.Resolved, v.snap.Resolved())
		in.Prefix = append(in.Prefix, v.snap.PrefixEntries()...)
		in.Explicit = append(in.Explicit, v.snap.ExplicitEntries()...)
	}
	a.rememberValues(in)
	res := merge.Merge(in)
	for _, c := range res.Conflicts {
		if !a.state.conflicts[strings.ToUpper(c.Key)] {
			a.state.conflicts[strings.ToUpper(c.Key)] = true
			a.log.Info("key set by more than one source; the higher precedence wins",
				"key", c.Key, "sources", fmt.Sprint(c.Origins), "winner", string(c.Winner))
		}
	}
	unresolved, refused := a.refusedErr(res.Unresolved)
	var errs []error
	if refused != nil {
		errs = append(errs, refused)
	}
	if len(unresolved) > 0 {
		errs = append(errs, fmt.Errorf("%w: keys %s; fix: check that the referenced secrets exist and the pod's identity may read them",
			errUnresolved, strings.Join(unresolved, ", ")))
	}
	return res, errors.Join(errs...)
}

// render merges and writes every output, then tells the application once if
// any file changed. It reports whether a file changed. A failing output
// leaves its file as it was; the others are still written.
func (a *Agent) render(ctx context.Context) (changed bool, err error) {
	res, err := a.merged()
	if err != nil {
		a.opts.Metrics.ObserveRender(err)
		return false, err
	}
	a.health.keyVaultKeys(a.vaultKeys())
	var errs []error
	for _, t := range a.targets {
		c, err := a.write(t, res.Entries)
		a.health.output(t.out.Path, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", t.out.Path, err))
		}
		changed = changed || c
	}
	err = errors.Join(errs...)
	a.opts.Metrics.ObserveRender(err)
	if changed && a.state.rendered && a.notifier != nil {
		a.notify(ctx, "files changed")
	}
	if err == nil {
		a.state.rendered = true
	}
	return changed, err
}

func (a *Agent) write(t *target, entries []source.Entry) (bool, error) {
	data, problems, err := output.Encode(t.format, entries, t.tmpl)
	if err != nil {
		return false, err
	}
	for _, p := range problems {
		if key := t.out.Path + "\x00" + p.String(); !a.state.problems[key] {
			a.state.problems[key] = true
			a.log.Warn("a key cannot be written in this format and is left out", "output", t.out.Path, "problem", p.String())
		}
	}
	changed, err := a.opts.Write(t.out.Path, data, t.mode)
	if changed {
		a.opts.Metrics.FileWritten()
		a.log.Info("output written", "path", t.out.Path, "bytes", len(data))
	}
	return changed, err
}
