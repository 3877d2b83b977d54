package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gonyx/gonyx/server/infer"
	pb "github.com/gonyx/gonyx/server/inferencepb"
)

// healthPollInterval is how often svc.Ready() is polled while some client
// watches health; Check and List read it on every call.
var healthPollInterval = time.Second

// healthServices are the names health reports: "" is the server as a whole.
var healthServices = []string{"", pb.GRPCInferenceService_ServiceDesc.ServiceName}

// healthServer is grpc's health.Server with its statuses kept equal to
// svc.Ready(). The service has no way to announce changes, so the statuses
// are refreshed on each Check and List, and polled only while a Watch
// stream is open (so an idle server runs no goroutine).
type healthServer struct {
	*health.Server
	svc      infer.Service
	log      *slog.Logger
	interval time.Duration

	mu       sync.Mutex
	watchers int
	stop     chan struct{}
}

func registerHealth(s *grpc.Server, svc infer.Service, log *slog.Logger) {
	h := &healthServer{Server: health.NewServer(), svc: svc, log: log, interval: healthPollInterval}
	h.refresh()
	healthpb.RegisterHealthServer(s, h)
}

// refresh sets every reported status from svc.Ready(); a panicking Ready
// counts as not ready, since this may run outside any RPC.
func (h *healthServer) refresh() {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if h.ready() {
		st = healthpb.HealthCheckResponse_SERVING
	}
	for _, name := range healthServices {
		h.SetServingStatus(name, st)
	}
}

func (h *healthServer) ready() (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("grpc: Ready panicked during a health check", "panic", fmt.Sprint(p))
			ok = false
		}
	}()
	return h.svc.Ready()
}

func (h *healthServer) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.refresh()
	return h.Server.Check(ctx, req)
}

func (h *healthServer) List(ctx context.Context, req *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	h.refresh()
	return h.Server.List(ctx, req)
}

func (h *healthServer) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	h.refresh()
	h.startWatch()
	defer h.endWatch()
	return h.Server.Watch(req, stream)
}

// startWatch starts the poller with the first watcher.
func (h *healthServer) startWatch() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.watchers++
	if h.watchers > 1 {
		return
	}
	stop := make(chan struct{})
	h.stop = stop
	go func() {
		t := time.NewTicker(h.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				h.refresh()
			}
		}
	}()
}

// endWatch stops the poller with the last watcher.
func (h *healthServer) endWatch() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.watchers--
	if h.watchers == 0 {
		close(h.stop)
		h.stop = nil
	}
}
