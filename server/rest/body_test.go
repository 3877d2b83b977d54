package rest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawRequest writes bytes to the server over TCP, half-closes, and reads
// the response: the only way to send a body shorter than its
// Content-Length.
func rawRequest(t *testing.T, s *testServer, raw string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestTruncatedBody(t *testing.T) {
	s := newTestServer(t, Options{})
	body := `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}`
	// Content-Length promises 20 bytes more than arrive.
	raw := fmt.Sprintf("POST /v2/models/add/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body)+20, body)
	resp := rawRequest(t, s, raw)
	defer resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The same over the same path but complete is fine.
	raw = fmt.Sprintf("POST /v2/models/add/infer HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	if resp := rawRequest(t, s, raw); resp.StatusCode != 200 {
		t.Fatalf("complete body: status %d", resp.StatusCode)
	}
}

func TestTooLargeClosesConnection(t *testing.T) {
	s := newTestServer(t, Options{MaxBodyBytes: 100})
	big := strings.Repeat(" ", 200)
	r := s.post(t, "/v2/models/add/infer", big)
	r.wantStatus(t, 413)
	if !r.close {
		t.Fatal("413 without Connection: close")
	}
	// Chunked, so the limit is found while reading.
	r = s.do(t, "POST", "/v2/models/add/infer", struct{ *strings.Reader }{strings.NewReader(big)})
	r.wantStatus(t, 413)
	if !r.close {
		t.Fatal("chunked 413 without Connection: close")
	}
	// Other errors keep the connection.
	if r := s.post(t, "/v2/models/add/infer", "{}"); r.status != 400 || r.close {
		t.Fatalf("400: status %d close %v", r.status, r.close)
	}
	// /predict and the repository endpoints share the limit.
	s.post(t, "/models/add/predict", big).wantStatus(t, 413)
	s.post(t, "/v2/repository/index", big).wantStatus(t, 413)
	s.post(t, "/v2/repository/models/add/load", big).wantStatus(t, 413)
}

func TestRepositoryDepthLimit(t *testing.T) {
	s := newTestServer(t, Options{MaxJSONDepth: 3})
	s.post(t, "/v2/repository/index", `{"x":[[1]]}`).wantStatus(t, 200)
	s.post(t, "/v2/repository/index", `{"x":[[[1]]]}`).errorContains(t, 400, "nested more than 3")
	s.post(t, "/v2/repository/models/add/load", `{"parameters":{"a":[[[]]]}}`).errorContains(t, 400, "nested more than 3")
}

func TestConcurrentRequests(t *testing.T) {
	s := newTestServer(t, Options{DefaultModel: "add"})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				v := g*100 + i
				body := fmt.Sprintf(`{"id":"%d","inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[%d,0,0]}]}`, v, v)
				req, _ := http.NewRequest("POST", s.URL+"/v2/models/add/infer", strings.NewReader(body))
				resp, err := s.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				var out struct {
					ID      string
					Outputs []struct{ Data []float64 }
				}
				err = decodeBody(resp, &out)
				if err != nil || out.ID != fmt.Sprint(v) || out.Outputs[0].Data[0] != float64(v+1) {
					errs <- fmt.Sprintf("request %d: %v %+v", v, err, out)
					return
				}
				if i%3 == 0 {
					r, err := s.Client().Post(s.URL+"/v2/models/panic/infer", "application/json", strings.NewReader(body))
					if err != nil || r.StatusCode != 500 {
						errs <- fmt.Sprintf("panic request: %v %v", err, r)
						return
					}
					r.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
