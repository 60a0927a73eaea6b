// Package logging builds the binaries' logger: log/slog behind logr, one
// JSON object per line on standard error by default.
//
// It replaces controller-runtime's zap logger, for memory: zap's sampler
// alone holds 450 KB of counters, and zap's code is pages the kernel keeps
// resident. The level flag keeps its old name, --zap-log-level, as an
// alias, so that existing manifests still work.
package logging

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/go-logr/logr"
)

// Options are the logging flags both binaries take.
type Options struct {
	// Level is "error", "info", "debug" or a number N: logr's V(N) and
	// below are logged ("debug" is V(1)).
	Level string
	// Format is "json" or "text" (key=value pairs).
	Format string
}

// BindFlags adds --log-level (alias --zap-log-level) and --log-format.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	if o.Level == "" {
		o.Level = "info"
	}
	if o.Format == "" {
		o.Format = "json"
	}
	usage := `what to log: "error", "info", "debug", or a number N for logr's V(N) and below ("debug" is 1)`
	fs.StringVar(&o.Level, "log-level", o.Level, usage)
	fs.StringVar(&o.Level, "zap-log-level", o.Level, "the former name of --log-level")
	fs.StringVar(&o.Format, "log-format", o.Format, `"json" (an object per line) or "text" (key=value pairs)`)
}

// Validate says which option is wrong, if one is.
func (o Options) Validate() error {
	if _, err := o.level(); err != nil {
		return err
	}
	if o.Format != "json" && o.Format != "text" {
		return fmt.Errorf("--log-format %q: want json or text", o.Format)
	}
	return nil
}

func (o Options) level() (slog.Level, error) {
	switch o.Level {
	case "error":
		return slog.LevelError, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "debug":
		return slog.Level(-1), nil
	}
	n, err := strconv.Atoi(o.Level)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("--log-level %q: want error, info, debug or a number from 0", o.Level)
	}
	// logr's V(n) is slog's level -n.
	return slog.Level(-n), nil
}

// Logger returns the logger the options describe, writing to w.
func (o Options) Logger(w io.Writer) (logr.Logger, error) {
	if err := o.Validate(); err != nil {
		return logr.Discard(), err
	}
	lvl, _ := o.level()
	ho := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewJSONHandler(w, ho)
	if o.Format == "text" {
		h = slog.NewTextHandler(w, ho)
	}
	return logr.FromSlogHandler(h), nil
}
