package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// logFlags are the logging flags every long-running command shares.
type logFlags struct{ format, level string }

// register adds the flags with a command's defaults (json and info for the
// long-running commands; text for people at a terminal).
func (l *logFlags) register(fs *flag.FlagSet, format, level string) {
	fs.StringVar(&l.format, "log-format", format, "log format: json or text")
	fs.StringVar(&l.level, "log-level", level, "log level: debug, info, warn or error")
}

func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: use json or text", l.format)
	}
}
