// Package server is gonyx's model server: it puts the model repository,
// batchers, router, metrics and security together behind the KServe v2 REST
// and gRPC front ends (server/rest, server/grpcserver), and runs them until
// told to drain.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/gonyx/gonyx/plugins"
	"github.com/gonyx/gonyx/server/demo"
	"github.com/gonyx/gonyx/server/grpcserver"
	"github.com/gonyx/gonyx/server/metrics"
	"github.com/gonyx/gonyx/server/repository"
	"github.com/gonyx/gonyx/server/rest"
	"github.com/gonyx/gonyx/server/router"
	"github.com/gonyx/gonyx/server/security"
)

// Server is a running (or ready to run) model server.
type Server struct {
	cfg        Config
	configPath string
	log        *slog.Logger

	repo     *repository.Repository
	router   *router.Router
	metrics  *metrics.Metrics
	registry *prometheus.Registry
	guard    *security.Guard
	keys     *security.KeyFile
	tls      *tls.Config

	pluginMu sync.Mutex
	plugins  *plugins.Runtime // nil until a model has plugins

	httpSrv    *http.Server
	metricsSrv *http.Server
	grpcSrv    *grpc.Server
	listeners  struct{ http, grpc, metrics net.Listener }

	streams     streamSet
	inflight    concurrency
	draining    atomic.Bool
	freeing     atomic.Bool
	shadowSlots chan struct{}
	shadowWG    sync.WaitGroup
	serveErr    chan error
	stopWatch   context.CancelFunc
}

// Options are what New needs besides the configuration.
type Options struct {
	Logger *slog.Logger
	// ConfigPath is the file the configuration came from; when set, router
	// endpoints are re-read from it when it changes.
	ConfigPath string
}

// New builds a server from a configuration. Nothing listens and no model is
// loaded until Start.
func New(cfg Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:         cfg,
		configPath:  opts.ConfigPath,
		log:         log,
		registry:    prometheus.NewRegistry(),
		shadowSlots: make(chan struct{}, 64),
		serveErr:    make(chan error, 3),
	}
	s.metrics = metrics.New(s.registry)

	rt, err := router.New(cfg.Endpoints)
	if err != nil {
		return nil, fmt.Errorf("endpoints: %w", err)
	}
	s.router = rt

	if cfg.Auth.KeysFile != "" {
		s.keys, err = security.OpenKeyFile(cfg.Auth.KeysFile, log)
		if err != nil {
			return nil, err
		}
	}
	s.guard = security.NewGuard(security.Policy{
		Keys:           s.keys,
		ProtectHealth:  cfg.Auth.ProtectHealth,
		ProtectMetrics: cfg.Auth.ProtectMetrics,
		RatePerSecond:  cfg.Auth.RatePerSecond,
		Burst:          cfg.Auth.Burst,
		Metrics:        s.metrics,
	})
	if cfg.TLS.Cert != "" {
		s.tls, err = security.TLSConfig(cfg.TLS.Cert, cfg.TLS.Key)
		if err != nil {
			return nil, err
		}
	}

	ropts := repository.Options{
		Dir:           cfg.Repo,
		Models:        cfg.Models,
		Mode:          cfg.mode(),
		PollInterval:  time.Duration(cfg.PollInterval),
		StartupModels: cfg.LoadModels,
		Defaults:      cfg.ModelDefaults,
		Open:          s.open,
		Logger:        log,
		OnLoad:        s.onLoad,
	}
	if cfg.Repo == "" && len(cfg.Models) == 0 {
		ropts.FS = demo.Repository()
	}
	s.repo, err = repository.New(ropts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) onLoad(name string, version int64, d time.Duration, err error) {
	// The repository logs the load itself.
	s.metrics.ModelLoad(name, fmt.Sprint(version), d, err)
	s.countLoaded()
}

func (s *Server) countLoaded() {
	if s.repo == nil {
		return
	}
	n := 0
	for _, m := range s.repo.Models() {
		n += len(s.repo.Versions(m))
	}
	s.metrics.ModelsLoaded(n)
}

// defaultModel is the model POST /predict serves.
func (s *Server) defaultModel() string {
	switch {
	case s.cfg.DefaultModel != "":
		return s.cfg.DefaultModel
	case s.cfg.Repo == "" && len(s.cfg.Models) == 0:
		return "mlp"
	case s.cfg.Repo == "" && len(s.cfg.Models) == 1:
		for name := range s.cfg.Models {
			return name
		}
	case s.cfg.Repo != "" && len(s.cfg.Models) == 0:
		entries, _ := os.ReadDir(s.cfg.Repo)
		var dirs []string
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				dirs = append(dirs, e.Name())
			}
		}
		if len(dirs) == 1 {
			return dirs[0]
		}
	}
	return ""
}

// Handler is the HTTP API (REST, /predict and, unless it has its own
// address, /metrics) with its middleware.
func (s *Server) Handler() http.Handler {
	api := rest.NewHandler(s, rest.Options{
		MaxBodyBytes:  s.cfg.Limits.MaxRequestBytes,
		MaxJSONDepth:  s.cfg.Limits.MaxJSONDepth,
		MaxElements:   s.cfg.Limits.MaxElements,
		DefaultModel:  s.defaultModel(),
		RoutingHeader: s.cfg.RoutingHeader,
		Logger:        s.log,
	})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	if s.cfg.Metrics == "" {
		mux.Handle("/metrics", s.metrics.Handler(s.registry))
	}
	var h http.Handler = s.guard.Middleware(requestKind, s.inflight.httpMiddleware(mux))
	if len(s.cfg.CORS.AllowedOrigins) > 0 {
		h = security.CORS{
			AllowedOrigins: s.cfg.CORS.AllowedOrigins,
			AllowedHeaders: s.cfg.CORS.AllowedHeaders,
			MaxAge:         time.Duration(s.cfg.CORS.MaxAge),
		}.Middleware(h)
	}
	return withRequestID(withAccessLog(s.log, s.cfg.AccessLog, h))
}

// requestKind tells the guard which policy a path falls under.
func requestKind(r *http.Request) security.Kind {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/v2/health/"):
		return security.KindHealth
	case p == "/metrics":
		return security.KindMetrics
	case strings.HasPrefix(p, "/v2/repository"):
		return security.KindRepository
	}
	return security.KindInference
}

// Start binds the listeners, starts serving (liveness answers at once,
// readiness once the models are loaded and warmed up), loads the models and
// returns. Serving errors arrive on Wait.
func (s *Server) Start(ctx context.Context) error {
	if s.keys == nil {
		s.log.Warn("no API keys configured: authentication is off")
	}
	var err error
	if s.listeners.http, err = net.Listen("tcp", s.cfg.HTTP); err != nil {
		return fmt.Errorf("http listener: %w", err)
	}
	if s.cfg.GRPC != "" && s.cfg.GRPC != "off" {
		if s.listeners.grpc, err = net.Listen("tcp", s.cfg.GRPC); err != nil {
			s.listeners.http.Close()
			return fmt.Errorf("grpc listener: %w", err)
		}
	}
	if s.cfg.Metrics != "" {
		if s.listeners.metrics, err = net.Listen("tcp", s.cfg.Metrics); err != nil {
			s.closeListeners()
			return fmt.Errorf("metrics listener: %w", err)
		}
	}

	// Each server gets its own copy of the TLS config: net/http adds its
	// protocols to the one it is given while gRPC reads its own.
	var httpTLS, grpcTLS *tls.Config
	if s.tls != nil {
		httpTLS, grpcTLS = s.tls.Clone(), s.tls.Clone()
	}
	s.httpSrv = s.newHTTPServer(s.Handler())
	s.httpSrv.TLSConfig = httpTLS
	go s.serveHTTP(s.httpSrv, s.listeners.http, httpTLS)
	if s.listeners.metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", s.guard.Middleware(requestKind, s.metrics.Handler(s.registry)))
		s.metricsSrv = s.newHTTPServer(mux)
		go s.serveHTTP(s.metricsSrv, s.listeners.metrics, nil)
	}
	if s.listeners.grpc != nil {
		sopts := []grpc.ServerOption{
			grpc.ChainStreamInterceptor(s.streams.intercept),
			grpc.ChainUnaryInterceptor(s.inflight.grpcInterceptor),
		}
		if grpcTLS != nil {
			sopts = append(sopts, grpc.Creds(credentials.NewTLS(grpcTLS)))
		}
		s.grpcSrv = grpcserver.New(s, grpcserver.Options{
			Logger:          s.log,
			Authorize:       s.guard.GRPCAuthorize,
			MaxRecvMsgSize:  int(min(s.cfg.Limits.MaxRequestBytes, 1<<31-1)),
			RoutingMetadata: strings.ToLower(s.cfg.RoutingHeader),
			ServerOptions:   sopts,
		})
		go func() {
			if err := s.grpcSrv.Serve(s.listeners.grpc); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				s.serveErr <- fmt.Errorf("grpc: %w", err)
			}
		}()
	}
	s.log.Info("gonyx serving", "http", s.HTTPAddr(), "grpc", s.GRPCAddr(), "metrics", s.MetricsAddr(), "tls", s.tls != nil)

	watchCtx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	if s.configPath != "" {
		go s.watchConfig(watchCtx)
	}
	if err := s.repo.Start(ctx); err != nil {
		return fmt.Errorf("repository: %w", err)
	}
	s.countLoaded()
	return nil
}

func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Duration(s.cfg.Limits.ReadTimeout),
		WriteTimeout:      time.Duration(s.cfg.Limits.WriteTimeout),
		IdleTimeout:       time.Duration(s.cfg.Limits.IdleTimeout),
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

func (s *Server) serveHTTP(srv *http.Server, l net.Listener, tlsCfg *tls.Config) {
	var err error
	if tlsCfg != nil {
		err = srv.ServeTLS(l, "", "")
	} else {
		err = srv.Serve(l)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.serveErr <- fmt.Errorf("http: %w", err)
	}
}

func (s *Server) closeListeners() {
	for _, l := range []net.Listener{s.listeners.http, s.listeners.grpc, s.listeners.metrics} {
		if l != nil {
			l.Close()
		}
	}
}

// Wait returns the first serving error (a listener failing).
func (s *Server) Wait() <-chan error { return s.serveErr }

// HTTPAddr, GRPCAddr and MetricsAddr are the bound addresses ("" if off).
func (s *Server) HTTPAddr() string    { return addr(s.listeners.http) }
func (s *Server) GRPCAddr() string    { return addr(s.listeners.grpc) }
func (s *Server) MetricsAddr() string { return addr(s.listeners.metrics) }

func addr(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// Shutdown drains: readiness goes false at once, new connections are
// refused, in-flight requests (HTTP and gRPC, queued in batchers too) run to
// completion within ctx's deadline, then the models are unloaded.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	if s.stopWatch != nil {
		s.stopWatch()
	}
	var wg sync.WaitGroup
	var errs []error
	var mu sync.Mutex
	add := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	for _, srv := range []*http.Server{s.httpSrv, s.metricsSrv} {
		if srv != nil {
			wg.Add(1)
			go func() { defer wg.Done(); add(srv.Shutdown(ctx)) }()
		}
	}
	if s.grpcSrv != nil {
		// Streams (health Watch, reflection) never end on their own and
		// would hold GracefulStop until the deadline: end them first.
		s.streams.cancelAll()
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { s.grpcSrv.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				s.grpcSrv.Stop()
				add(fmt.Errorf("grpc drain: %w", ctx.Err()))
			}
		}()
	}
	wg.Wait()
	shadowsDone := make(chan struct{})
	go func() { s.shadowWG.Wait(); close(shadowsDone) }()
	select {
	case <-shadowsDone:
	case <-ctx.Done():
	}
	add(s.repo.Close())
	s.pluginMu.Lock()
	if s.plugins != nil {
		add(s.plugins.Close(context.Background()))
	}
	s.pluginMu.Unlock()
	runtime.GC()
	debug.FreeOSMemory()
	return errors.Join(errs...)
}

// ReloadConfig re-reads the configuration file and applies what can change
// without a restart: the router's endpoints.
func (s *Server) ReloadConfig() error {
	if s.configPath == "" {
		return errors.New("no configuration file to reload")
	}
	cfg, err := LoadConfig(s.configPath)
	if err != nil {
		return err
	}
	if err := s.router.Update(cfg.Endpoints); err != nil {
		return fmt.Errorf("endpoints: %w", err)
	}
	s.log.Info("configuration reloaded", "endpoints", len(cfg.Endpoints))
	return nil
}

// watchConfig reloads the endpoints when the configuration file changes.
func (s *Server) watchConfig(ctx context.Context) {
	stamp := func() (time.Time, int64) {
		fi, err := os.Stat(s.configPath)
		if err != nil {
			return time.Time{}, -1
		}
		return fi.ModTime(), fi.Size()
	}
	lastT, lastN := stamp()
	tick := time.NewTicker(configPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		t, n := stamp()
		if t.Equal(lastT) && n == lastN {
			continue
		}
		lastT, lastN = t, n
		if err := s.ReloadConfig(); err != nil {
			s.log.Error("configuration reload failed; keeping the running endpoints", "error", err)
		}
	}
}

// configPollInterval is how often the configuration file is checked; a
// variable so tests can shorten it.
var configPollInterval = 2 * time.Second

// streamSet tracks open gRPC streams so a drain can end them.
type streamSet struct {
	mu      sync.Mutex
	next    int
	cancels map[int]context.CancelFunc
	closed  bool
}

func (ss *streamSet) intercept(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return status.Error(codes.Unavailable, "server is shutting down")
	}
	if ss.cancels == nil {
		ss.cancels = map[int]context.CancelFunc{}
	}
	id := ss.next
	ss.next++
	ss.cancels[id] = cancel
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		delete(ss.cancels, id)
		ss.mu.Unlock()
	}()
	return handler(srv, &ctxStream{ServerStream: stream, ctx: ctx})
}

func (ss *streamSet) cancelAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	for _, cancel := range ss.cancels {
		cancel()
	}
}

// ctxStream is a server stream with a context the drain can cancel.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c *ctxStream) Context() context.Context { return c.ctx }

// releaseMemory hands an unloaded model's memory back to the OS now rather
// than at the runtime's leisure, so a reload does not hold two models' worth
// of RSS. Calls that arrive while one is running are folded into it.
func (s *Server) releaseMemory() {
	if !s.freeing.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.freeing.Store(false)
		runtime.GC()
		debug.FreeOSMemory()
	}()
}
