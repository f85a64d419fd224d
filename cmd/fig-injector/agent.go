package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/fig-injector/fig-injector/injector/agent"
	"github.com/fig-injector/fig-injector/injector/boundedfile"
	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/secret"
	"github.com/fig-injector/fig-injector/injector/status"
)

// configEnv carries a whole agent configuration (YAML) when --config is not
// given: how the webhook hands annotations-derived configurations over.
const configEnv = "FIG_INJECTOR_CONFIG"

// configFlags are the flags that locate and override the agent configuration.
type configFlags struct {
	path                                         string
	figAPIURI, clientName, instance, out, format string
	listen                                       string
}

func (c *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.path, "config", "", "agent configuration file (YAML); default: the YAML in $"+configEnv)
	fs.StringVar(&c.figAPIURI, "fig-api-uri", "", "overrides fig.apiUri")
	fs.StringVar(&c.clientName, "client-name", "", "overrides fig.clientName")
	fs.StringVar(&c.instance, "instance", "", "overrides fig.instance")
	fs.StringVar(&c.out, "output", "", "overrides outputs[0].path")
	fs.StringVar(&c.format, "format", "", "overrides outputs[0].format")
	fs.StringVar(&c.listen, "listen", "", "overrides listen (the /healthz, /readyz, /metrics address)")
}

// load reads the configuration from --config or $FIG_INJECTOR_CONFIG,
// applies the flag overrides, then the environment and defaults, and
// validates it.
func (c *configFlags) load() (*config.Config, error) {
	var (
		data []byte
		err  error
		from = "$" + configEnv
	)
	if c.path != "" {
		from = c.path
		if data, err = boundedfile.Read(c.path, boundedfile.ConfigLimit); err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
	} else if data = []byte(os.Getenv(configEnv)); len(data) == 0 {
		return nil, fmt.Errorf("no configuration: pass --config FILE or set %s", configEnv)
	}
	cfg, err := config.Parse(data)
	if err == nil {
		c.override(cfg)
		err = cfg.Complete(os.Getenv)
	}
	if err != nil {
		return nil, agent.OneLine(fmt.Errorf("config %s: %w", from, err))
	}
	return cfg, nil
}

func (c *configFlags) override(cfg *config.Config) {
	if c.figAPIURI != "" || c.clientName != "" || c.instance != "" {
		if cfg.Fig == nil {
			cfg.Fig = &config.Fig{}
		}
		set(&cfg.Fig.APIURI, c.figAPIURI)
		set(&cfg.Fig.ClientName, c.clientName)
		set(&cfg.Fig.Instance, c.instance)
	}
	if c.out != "" || c.format != "" {
		if len(cfg.Outputs) == 0 {
			cfg.Outputs = []config.Output{{}}
		}
		set(&cfg.Outputs[0].Path, c.out)
		set(&cfg.Outputs[0].Format, c.format)
	}
	set(&cfg.Listen, c.listen)
}

func set(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func runAgent(ctx context.Context, args []string, _, stderr io.Writer) (err error) {
	defer func() { writeTerminationMessage(terminationLog, err) }()
	fs := newFlagSet("agent", stderr)
	var (
		cf       configFlags
		lf       logFlags
		mode     = fs.String("mode", "sidecar", "init: render once and exit; sidecar: render, then keep the files current until SIGTERM")
		stateDir = fs.String("state-dir", "", "directory on the shared volume where init mode leaves what it fetched for the sidecar (classic injection)")
	)
	cf.register(fs)
	lf.register(fs, "json", "info")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *mode != "init" && *mode != "sidecar" {
		fmt.Fprintf(stderr, "--mode %q: use init or sidecar\n", *mode)
		return errUsage
	}
	base, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	// One redactor for the process: the agents tell it their secrets and
	// wrap base with it; every other log line passes through it here.
	redactor := secret.NewRedactor()
	logger := slog.New(redactor.Handler(base.Handler()))
	cfg, err := cf.load()
	if err != nil {
		return err
	}
	applyGoRuntime(os.Getenv, logger)
	opts := agent.Options{Logger: base, Metrics: status.NewMetrics(), ConfigPath: cf.path, Reload: cf.load, Version: version, StateDir: *stateDir, Redactor: redactor,
		MemoryLimit: applyMemoryLimit(cgroupRoot, os.Getenv, logger)}
	if *mode == "init" {
		a, err := agent.New(ctx, cfg, opts)
		if err != nil {
			return agent.OneLine(err)
		}
		if err := a.RenderOnce(ctx); err != nil {
			return err
		}
		if *stateDir != "" {
			if err := a.SaveHandover(*stateDir); err != nil {
				logger.Warn("could not leave a handover for the sidecar; it will fetch everything", "error", err.Error())
			}
		}
		logger.Info("init render complete")
		return nil
	}
	return runSidecar(ctx, cfg, opts, logger)
}

// runSidecar runs agents until ctx ends, switching to the successor the
// agent built whenever the configuration file changed to a valid new
// configuration (an invalid one never stops the running agent). The status
// endpoints follow the current agent.
func runSidecar(ctx context.Context, cfg *config.Config, opts agent.Options, logger *slog.Logger) error {
	var current atomic.Pointer[agent.Agent]
	serveErr := make(chan error, 1)
	if cfg.Listen != "" {
		go func() {
			serveErr <- status.Serve(ctx, cfg.Listen, status.Handler(currentHealth{&current}, opts.Metrics), logger)
		}()
	}
	a, err := agent.New(ctx, cfg, opts)
	if err != nil {
		return agent.OneLine(err)
	}
	for {
		current.Store(a)
		err = a.Run(ctx)
		if !errors.Is(err, agent.ErrConfigChanged) {
			if err == nil {
				logger.Info("stopped")
			}
			return err
		}
		a = a.Successor() // built and checked before the old one stopped
		select {
		case err := <-serveErr:
			return fmt.Errorf("status endpoints: %w", err)
		default:
		}
	}
}

// currentHealth shows the health of whichever agent runs now.
type currentHealth struct{ a *atomic.Pointer[agent.Agent] }

func (c currentHealth) Ready() bool {
	a := c.a.Load()
	return a != nil && a.Health().Ready()
}

func (c currentHealth) Sources() []status.SourceHealth {
	if a := c.a.Load(); a != nil {
		return a.Health().Sources()
	}
	return nil
}

func (c currentHealth) Outputs() []status.OutputHealth {
	if a := c.a.Load(); a != nil {
		return a.Health().Outputs()
	}
	return nil
}
