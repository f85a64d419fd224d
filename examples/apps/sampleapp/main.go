// Command sampleapp is the sample application of the kind walkthrough and
// the e2e tests: it reads the file the fig-injector agent renders (merged
// Fig settings and Key Vault secrets, JSON), serves it over HTTP with
// secret-looking values masked, and reloads it on SIGHUP and on POST
// /reload — the two notifications the agent can send (SPEC §2,
// notify.signal and notify.http). Each reload is logged with the names,
// never the values, of the keys that changed.
//
//	sampleapp --config /fig/appsettings.json --listen :8080
//	sampleapp --config /fig/appsettings.json --print   # print once, masked, and exit
//	sampleapp --config /fig/appsettings.json --print --show-secrets   # print the file as it is
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Defaults, overridable by flag or environment variable.
const (
	defaultConfig = "/fig/appsettings.json"
	defaultListen = ":8080"
	// defaultMask names the key fragments whose values are masked: the
	// shapes secrets take in .NET configuration.
	defaultMask = "Password,Secret,Key,ConnectionString,Token"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "sampleapp:", err)
		os.Exit(1)
	}
}

// options are the command line, after environment defaults.
type options struct {
	config string
	listen string
	mask   []string
	print  bool
	// showSecrets makes --print copy the file verbatim (what the agent
	// wrote, secrets included): for a person with exec rights on the pod.
	showSecrets bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("sampleapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var mask string
	fs.StringVar(&o.config, "config", envOr("SAMPLEAPP_CONFIG", defaultConfig), "the rendered JSON file (env SAMPLEAPP_CONFIG)")
	fs.StringVar(&o.listen, "listen", envOr("SAMPLEAPP_LISTEN", defaultListen), "HTTP listen address (env SAMPLEAPP_LISTEN)")
	fs.StringVar(&mask, "mask", envOr("SAMPLEAPP_MASK", defaultMask), "comma-separated key fragments whose values are masked, case-insensitive (env SAMPLEAPP_MASK)")
	fs.BoolVar(&o.print, "print", false, "print the masked config once and exit")
	fs.BoolVar(&o.showSecrets, "show-secrets", false, "with --print: print the file verbatim, secret values included")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.mask = splitList(mask)
	return o, nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	if o.showSecrets && !o.print {
		return errors.New("--show-secrets only applies to --print")
	}
	if o.print && o.showSecrets {
		data, err := os.ReadFile(o.config)
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		_, err = stdout.Write(data)
		return err
	}
	if o.print {
		cfg, err := loadConfig(o.config)
		if err != nil {
			return err
		}
		return writeJSON(stdout, maskTree(cfg, o.mask, ""))
	}
	a := newApp(o.config, o.mask, log)
	a.reload("start") // a missing file is logged and served as 503 until a reload succeeds
	a.watchSignals(ctx)

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("serving", "listen", ln.Addr().String(), "config", o.config, "mask", o.mask)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
