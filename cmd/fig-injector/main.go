// Command fig-injector is the one binary of the product: the agent that
// renders Fig settings and Key Vault secrets into a file, the admission
// webhook that injects it, a one-shot renderer and the local emulators.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: its name, a one-line summary and its entry point.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"agent", "render Fig settings and Key Vault secrets into files (init or sidecar mode)", runAgent},
		{"probe", "the native sidecar's startup probe: exit 1 with the reason while the agent is not ready", runProbe},
		{"render", "print the merged configuration once (secrets redacted unless --show-secrets)", runRender},
		{"dev", "run the Fig, Entra ID and Key Vault emulators on loopback", runDev},
		{"webhook", "serve the mutating admission webhook", runWebhook},
		{"relay", "receive Fig web hooks and wake subscribed agents (optional)", runRelay},
		{"version", "print the version", runVersion},
	}
}

func main() {
	// SIGTERM (kubelet) and SIGINT (a terminal) end the context; a second
	// signal kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // restore the default handling, so a second signal kills
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// errUsage marks a usage error: the message was printed already.
var errUsage = errors.New("usage")

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(stderr, "fig-injector:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "fig-injector: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fig-injector <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'fig-injector <command> --help' for a command's flags.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(newFlagSet("version", stderr), args); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, version)
	return err
}

// newFlagSet returns a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("fig-injector "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and maps a bad flag to errUsage (already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}
