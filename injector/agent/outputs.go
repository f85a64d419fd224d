package agent

import (
	"fmt"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/notify"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/rules"
)

func newTarget(o config.Output) (*target, error) {
	format, err := output.ParseFormat(o.Format)
	if err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	mode, err := rules.FileMode(o.Mode)
	if err != nil {
		return nil, fmt.Errorf("mode: %w", err)
	}
	t := &target{out: o, format: format, mode: mode}
	if err := t.loadTemplate(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadTemplate (re)reads the template file, with format template.
func (t *target) loadTemplate() error {
	if t.format != output.FormatTemplate {
		return nil
	}
	text, err := boundedfile.Read(t.out.Template, boundedfile.ConfigLimit)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	tmpl, err := output.ParseTemplate(t.out.Template, text)
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	t.tmpl = tmpl
	return nil
}

// newNotifier builds what notify configures; nil when nothing is.
func newNotifier(n config.Notify) (notify.Notifier, error) {
	var all notify.Multi
	if s := n.Signal; s != nil {
		sig, err := rules.Signal(s.Name)
		if err != nil {
			return nil, fmt.Errorf("notify.signal.name: %w", err)
		}
		all = append(all, notify.Signal{Process: s.Process, Signal: sig})
	}
	if h := n.HTTP; h != nil {
		hn := notify.HTTP{URL: h.URL, Retries: 3}
		if err := hn.Validate(); err != nil {
			return nil, fmt.Errorf("notify.http.url: %w", err)
		}
		all = append(all, hn)
	}
	switch len(all) {
	case 0:
		return nil, nil
	case 1:
		return all[0], nil
	}
	return all, nil
}
