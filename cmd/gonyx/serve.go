package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gonyx/gonyx/server"
	"github.com/gonyx/gonyx/server/repository"
)

// cmdServe runs the model server until SIGTERM or SIGINT, then drains.
func cmdServe(args []string) int {
	cfg, configPath, err := serveConfig(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return fail("serve: %v", err)
	}
	log := newLogger(cfg)
	server.Version = version
	srv, err := server.New(cfg, server.Options{Logger: log, ConfigPath: configPath})
	if err != nil {
		return fail("serve: %v", err)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	startCtx, cancelStart := context.WithCancel(context.Background())
	go func() {
		// A signal during the initial model loads stops them too.
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				if err := srv.ReloadConfig(); err != nil {
					log.Error("reload on SIGHUP failed", "error", err)
				}
				continue
			}
			cancelStart()
			sigs <- sig
			return
		}
	}()
	if err := srv.Start(startCtx); err != nil {
		return fail("serve: %v", err)
	}
	select {
	case err := <-srv.Wait():
		log.Error("server failed", "error", err)
		shutdown(srv, cfg, log)
		return 1
	case <-startCtx.Done():
	}
	sig := <-sigs
	signal.Stop(sigs)
	log.Info("draining", "signal", sig.String(), "timeout", time.Duration(cfg.ShutdownTimeout).String())
	if err := shutdown(srv, cfg, log); err != nil {
		log.Error("drain incomplete", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func shutdown(srv *server.Server, cfg server.Config, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeout))
	defer cancel()
	return srv.Shutdown(ctx)
}

func newLogger(cfg server.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// serveConfig builds the configuration: defaults, then the --config file,
// then GONYX_* environment variables, then flags (each later one wins).
// Every flag has an environment variable: --max-batch-size is
// GONYX_MAX_BATCH_SIZE.
func serveConfig(args []string, getenv func(string) string, usageOut *os.File) (server.Config, string, error) {
	cfg := server.Default()
	var configPath string
	fs := serveFlags(&cfg, &configPath)
	fs.SetOutput(usageOut)
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	if !onCommandLine["config"] {
		configPath = getenv("GONYX_CONFIG")
	}

	// Start again from the file (or the defaults), so list flags given on
	// the command line are not counted twice.
	cfg = server.Default()
	if configPath != "" {
		loaded, err := server.LoadConfig(configPath)
		if err != nil {
			return cfg, "", err
		}
		cfg = loaded
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if onCommandLine[f.Name] || f.Name == "config" {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", envName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return cfg, "", envErr
	}
	if err := fs.Parse(args); err != nil {
		return cfg, "", err
	}
	return cfg, configPath, cfg.Validate()
}

func envName(flagName string) string {
	return "GONYX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func serveFlags(cfg *server.Config, configPath *string) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	d := &cfg.ModelDefaults
	fs.StringVar(configPath, "config", "", "YAML configuration file (flags and env vars override it; endpoints reload when it changes)")
	fs.StringVar(&cfg.HTTP, "http", cfg.HTTP, "HTTP listen address (REST, /predict, /metrics)")
	fs.StringVar(&cfg.GRPC, "grpc", cfg.GRPC, `gRPC listen address ("off" disables gRPC)`)
	fs.StringVar(&cfg.Metrics, "metrics", cfg.Metrics, "serve /metrics on this address instead of the HTTP one")
	fs.StringVar(&cfg.Repo, "repo", cfg.Repo, "model repository folder: <repo>/<model>/[config.yaml, <version>/model.onnx]")
	fs.Var(modelsFlag{&cfg.Models}, "model", "serve one ONNX file as NAME=PATH (repeatable; comma-separated in the env var)")
	fs.StringVar(&cfg.ModelControl, "model-control", cfg.ModelControl, "none | poll | explicit (default: poll with --repo, else none)")
	fs.Var(durationFlag{&cfg.PollInterval}, "poll-interval", "how often poll mode rescans the repository")
	fs.Var(listFlag{&cfg.LoadModels}, "load-model", `model to load at start in explicit mode (repeatable; "*" = all)`)
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "engine threads per model (0 = all cores)")
	fs.StringVar(&cfg.DefaultModel, "default-model", cfg.DefaultModel, "model served by POST /predict (default: the only model; mlp for the demo)")
	fs.IntVar(&d.MaxBatchSize, "max-batch-size", d.MaxBatchSize, "default max batch for models whose config.yaml has none (0 = no batching)")
	fs.Var(durationFlag{&d.Batching.MaxQueueDelay}, "max-queue-delay", "default time a request may wait for a batch to fill")
	fs.IntVar(&d.Batching.MaxQueueSize, "max-queue-size", d.Batching.MaxQueueSize, "default bound of each model's queue (full → 429)")
	fs.Var(durationFlag{&d.Batching.DefaultTimeout}, "request-timeout", "default per-request timeout, queueing included (0 = none)")
	fs.IntVar(&d.Warmup, "warmup", d.Warmup, "default warm-up runs before a model version turns ready")
	fs.StringVar(&cfg.PluginCacheDir, "plugin-cache-dir", cfg.PluginCacheDir, `where compiled WebAssembly plugins are kept between starts ("" = memory only)`)
	fs.StringVar(&cfg.RoutingHeader, "routing-header", cfg.RoutingHeader, "header whose value keeps a user on one router variant")
	fs.StringVar(&cfg.Auth.KeysFile, "api-keys", cfg.Auth.KeysFile, `API keys file ("<name> <secret>" lines, re-read on change); empty = auth off`)
	fs.BoolVar(&cfg.Auth.ProtectHealth, "protect-health", cfg.Auth.ProtectHealth, "require an API key on /v2/health/*")
	fs.BoolVar(&cfg.Auth.ProtectMetrics, "protect-metrics", cfg.Auth.ProtectMetrics, "require an API key on /metrics")
	fs.Float64Var(&cfg.Auth.RatePerSecond, "rate-limit", cfg.Auth.RatePerSecond, "requests per second per API key (per client IP without keys); 0 = unlimited")
	fs.IntVar(&cfg.Auth.Burst, "rate-burst", cfg.Auth.Burst, "token-bucket burst for --rate-limit (default: the rate)")
	fs.StringVar(&cfg.TLS.Cert, "tls-cert", cfg.TLS.Cert, "TLS certificate (PEM) for HTTP and gRPC; re-read on change")
	fs.StringVar(&cfg.TLS.Key, "tls-key", cfg.TLS.Key, "TLS private key (PEM)")
	fs.Int64Var(&cfg.Limits.MaxRequestBytes, "max-request-size", cfg.Limits.MaxRequestBytes, "largest request body in bytes (→ 413)")
	fs.IntVar(&cfg.Limits.MaxJSONDepth, "max-json-depth", cfg.Limits.MaxJSONDepth, "deepest JSON nesting accepted")
	fs.IntVar(&cfg.Limits.MaxElements, "max-elements", cfg.Limits.MaxElements, "most tensor elements in one request")
	fs.Var(listFlag{&cfg.CORS.AllowedOrigins}, "cors-origin", `origin allowed to call the API from a browser (repeatable; "*" = any)`)
	fs.Var(durationFlag{&cfg.ShutdownTimeout}, "shutdown-timeout", "how long SIGTERM waits for in-flight requests")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug | info | warn | error")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "json | text")
	fs.BoolVar(&cfg.AccessLog, "access-log", cfg.AccessLog, "log one line per HTTP request")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: gonyx serve [flags]\n\n"+
			"Serves ONNX models over KServe v2 REST and gRPC, plus POST /predict. With no --repo and no\n"+
			"--model it serves the embedded demo repository (mlp: features FP32[N,64] → 10 logits; cnn:\n"+
			"image FP32[N,1,28,28] → 10 logits; image: a JPEG/PNG upload → top-5 ImageNet labels through the\n"+
			"imagenet-preprocess and topk plugins; dynamic batching on).\n\n"+
			"Precedence: flags > GONYX_* environment variables > --config file > defaults.\n\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" && f.DefValue != "[]" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(out, "  --%s\n        %s%s\n        env %s\n", f.Name, f.Usage, def, envName(f.Name))
		})
	}
	return fs
}

// modelsFlag collects NAME=PATH pairs.
type modelsFlag struct{ m *map[string]string }

func (f modelsFlag) String() string {
	if f.m == nil {
		return ""
	}
	var parts []string
	for k, v := range *f.m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (f modelsFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		name, path, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" || path == "" {
			return fmt.Errorf("%q: want NAME=PATH", part)
		}
		if *f.m == nil {
			*f.m = map[string]string{}
		}
		(*f.m)[name] = path
	}
	return nil
}

// listFlag collects repeatable (or comma-separated) strings.
type listFlag struct{ l *[]string }

func (f listFlag) String() string {
	if f.l == nil {
		return ""
	}
	return strings.Join(*f.l, ",")
}

func (f listFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*f.l = append(*f.l, part)
		}
	}
	return nil
}

// durationFlag sets a repository.Duration from "250ms", "2s", ...
type durationFlag struct{ d *repository.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return time.Duration(*f.d).String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		if n, err2 := strconv.Atoi(s); err2 == nil && n == 0 {
			d = 0
		} else {
			return fmt.Errorf("want a duration such as 250ms or 2s")
		}
	}
	if d < 0 {
		return fmt.Errorf("negative duration")
	}
	*f.d = repository.Duration(d)
	return nil
}
