package main

import (
	"context"
	"io"
	"os"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/output"
	"github.com/fig-injector/fig-injector/injector/secret"
)

func runRender(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", stderr)
	var (
		cf          configFlags
		lf          logFlags
		showSecrets = fs.Bool("show-secrets", false, "print secret values instead of "+secret.Redacted)
		format      = fs.String("print-format", "json", "format to print: json, yaml, env or properties")
	)
	cf.register(fs)
	lf.register(fs, "json", "warn")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, err := output.ParseFormat(*format)
	if err != nil || f == output.FormatTemplate {
		fs.Usage()
		return errUsage
	}
	logger, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	a, err := agent.New(ctx, cfg, agent.Options{Logger: logger, Getenv: os.Getenv, Version: version})
	if err != nil {
		return agent.OneLine(err)
	}
	res, err := a.MergeOnce(ctx)
	if err != nil {
		return err
	}
	entries := res.Entries
	if !*showSecrets {
		for i := range entries {
			if entries[i].Secret {
				entries[i].Value = secret.New(secret.Redacted)
			}
		}
	}
	data, _, err := output.Encode(f, entries, nil)
	if err != nil {
		return err
	}
	_, err = stdout.Write(data)
	return err
}
