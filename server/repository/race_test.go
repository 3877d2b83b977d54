package repository

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// TestConcurrentAcquireDuringSwaps runs 8 request loops against a model
// whose versions, files and config keep changing (poll plus Load/Unload).
// Every Acquire must either hand out an open servable that stays open until
// released, or fail with NotFound/Unavailable.
func TestConcurrentAcquireDuringSwaps(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "m/1/model.onnx", "one")
	fo := newFakeOpener()
	fo.delay = time.Millisecond
	r, err := New(Options{Dir: root, Mode: ModePoll, PollInterval: testPoll, Open: fo.open})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var served, refused atomic.Int64
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	fail := func(msg string) {
		select {
		case failures <- msg:
		default: // enough reported; never block while holding a handle
		}
	}
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := int64(0)
				if g%2 == 1 {
					v = int64(i%4 + 1)
				}
				h, err := r.Acquire("m", v)
				if err != nil {
					var ie *infer.Error
					if !errors.As(err, &ie) || (ie.Code != infer.NotFound && ie.Code != infer.Unavailable) || ie.Msg == "" {
						fail(fmt.Sprintf("Acquire(m, %d): unexpected error %v", v, err))
						return
					}
					refused.Add(1)
					continue
				}
				s := h.Servable.(*fakeServable)
				s.inUse.Add(1)
				if s.closed.Load() {
					fail(fmt.Sprintf("Acquire(m, %d) handed out a closed servable", v))
				}
				if v != 0 && h.Version != v {
					fail(fmt.Sprintf("Acquire(m, %d) served version %d", v, h.Version))
				}
				runtime.Gosched() // "run the request"
				s.inUse.Add(-1)
				h.Release()
				h.Release()
				served.Add(1)
			}
		})
	}

	ctx := context.Background()
	steps := []func(){
		func() { writeFile(t, root, "m/2/model.onnx", "two") },
		func() { writeFile(t, root, "m/config.yaml", "version_policy: {all: true}\n") },
		func() { writeFile(t, root, "m/3/model.onnx", "three") },
		func() { writeFile(t, root, "m/2/model.onnx", "two, retrained") },
		func() { removeAll(t, root, "m/1") },
		func() { _ = r.Unload(ctx, "m") },
		func() { _ = r.Load(ctx, "m") },
		func() { writeFile(t, root, "m/config.yaml", "version_policy: {latest: 1}\n") },
		func() { writeFile(t, root, "m/4/model.onnx", "four") },
		func() { removeAll(t, root, "m") },
		func() { writeFile(t, root, "m/1/model.onnx", "one again") },
	}
	for _, step := range steps {
		step()
		time.Sleep(3 * testPoll)
	}
	close(stop)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if served.Load() == 0 || refused.Load() == 0 {
		t.Errorf("served %d, refused %d: the test should see both", served.Load(), refused.Load())
	}
	closeWithin(t, r, 5*time.Second)
	opened := fo.all()
	if len(opened) < 6 {
		t.Errorf("only %d loads happened; the steps should cause more", len(opened))
	}
	for _, s := range opened {
		if s.closedInUse.Load() {
			t.Errorf("servable %d (%s) was closed while a request held it", s.id, key(s.spec.Name, s.spec.Version))
		}
		if n := s.closes.Load(); n != 1 {
			t.Errorf("servable %d (%s) closed %d times, want once", s.id, key(s.spec.Name, s.spec.Version), n)
		}
	}
}
