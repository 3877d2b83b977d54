package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cmdPerf is a load generator for a running server (in the spirit of
// Triton's perf_analyzer): N clients send KServe v2 infer requests in a loop
// for a duration or a count, and it reports throughput, latency percentiles,
// errors by status, and the mean batch size the server's metrics saw.
func cmdPerf(args []string) int {
	fs := flag.NewFlagSet("perf", flag.ContinueOnError)
	url := fs.String("url", "http://127.0.0.1:8000", "server base URL")
	model := fs.String("model", "mlp", "model or endpoint name")
	conc := fs.Int("concurrency", 1, "concurrent clients, each with one request in flight")
	dur := fs.Duration("duration", 10*time.Second, "how long to send (ignored when --requests is set)")
	count := fs.Int("requests", 0, "total requests to send (0 = use --duration)")
	warmup := fs.Duration("warmup", time.Second, "send for this long before measuring")
	batch := fs.Int("batch", 1, "rows per request for a dynamic first dimension")
	binaryData := fs.Bool("binary", false, "send inputs with the binary tensor data extension")
	apiKey := fs.String("api-key", os.Getenv("GONYX_API_KEY"), "bearer API key")
	metricsURL := fs.String("metrics-url", "", "where to read /metrics for the batch size (default: --url)")
	jsonOut := fs.Bool("json", false, "one JSON line on stdout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *conc < 1 || *batch < 1 {
		return fail("perf: --concurrency and --batch must be ≥ 1")
	}
	base := strings.TrimRight(*url, "/")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2}, Timeout: time.Minute}
	body, header, err := perfRequest(client, base, *model, *apiKey, *batch, *binaryData)
	if err != nil {
		return fail("perf: %v", err)
	}
	inferURL := base + "/v2/models/" + *model + "/infer"
	send := func() (int, error) {
		req, _ := http.NewRequest(http.MethodPost, inferURL, bytes.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// Warm up the connections and the server.
	if *warmup > 0 {
		runLoad(*conc, time.Now().Add(*warmup), 0, send)
	}
	mURL := *metricsURL
	if mURL == "" {
		mURL = base
	}
	sum0, n0 := batchSizeMetric(client, strings.TrimRight(mURL, "/")+"/metrics", *model, *apiKey)
	start := time.Now()
	res := runLoad(*conc, start.Add(*dur), *count, send)
	elapsed := time.Since(start)
	sum1, n1 := batchSizeMetric(client, strings.TrimRight(mURL, "/")+"/metrics", *model, *apiKey)

	slices.Sort(res.latencies)
	q := func(p float64) float64 {
		if len(res.latencies) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(res.latencies)))) - 1
		return float64(res.latencies[max(i, 0)]) / 1e6
	}
	out := map[string]any{
		"model":          *model,
		"concurrency":    *conc,
		"batch":          *batch,
		"requests":       len(res.latencies) + res.failures,
		"errors":         res.failures,
		"error_statuses": res.statuses,
		"throughput_rps": float64(len(res.latencies)) / elapsed.Seconds(),
		"p50_ms":         q(0.50),
		"p90_ms":         q(0.90),
		"p99_ms":         q(0.99),
	}
	if n1 > n0 {
		out["mean_batch_size"] = (sum1 - sum0) / (n1 - n0)
	}
	if *jsonOut {
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
	} else {
		fmt.Printf("%s: %d clients, %d requests in %.1fs, %d errors %v\n", *model, *conc, out["requests"], elapsed.Seconds(), res.failures, res.statuses)
		fmt.Printf("throughput %.0f req/s, latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms", out["throughput_rps"], q(.5), q(.9), q(.99))
		if mb, ok := out["mean_batch_size"]; ok {
			fmt.Printf(", mean batch %.1f", mb)
		}
		fmt.Println()
	}
	if res.failures > 0 {
		return 1
	}
	return 0
}

type loadResult struct {
	latencies []time.Duration // successful requests only
	failures  int
	statuses  map[string]int // "503", "connection refused"...
}

// runLoad runs conc clients until the deadline or until count requests
// have been sent (count > 0).
func runLoad(conc int, deadline time.Time, count int, send func() (int, error)) loadResult {
	var mu sync.Mutex
	res := loadResult{statuses: map[string]int{}}
	var sent int
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for {
				if count > 0 {
					mu.Lock()
					if sent >= count {
						mu.Unlock()
						break
					}
					sent++
					mu.Unlock()
				} else if time.Now().After(deadline) {
					break
				}
				t0 := time.Now()
				code, err := send()
				d := time.Since(t0)
				if err == nil && code == http.StatusOK {
					local = append(local, d)
					continue
				}
				key := strconv.Itoa(code)
				if err != nil {
					key = err.Error()
					if len(key) > 80 {
						key = key[:80]
					}
				}
				mu.Lock()
				res.failures++
				res.statuses[key]++
				mu.Unlock()
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res
}

// perfRequest builds one infer request body from the model's metadata:
// seeded uniform [0,1) floats, integers in [0,100) (ids), booleans true.
func perfRequest(client *http.Client, base, model, apiKey string, batch int, binaryData bool) ([]byte, http.Header, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/v2/models/"+model, nil)
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var md struct {
		Inputs []struct {
			Name     string  `json:"name"`
			Datatype string  `json:"datatype"`
			Shape    []int64 `json:"shape"`
		} `json:"inputs"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		return nil, nil, fmt.Errorf("model metadata: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("model metadata: %s: %s", resp.Status, md.Error)
	}
	rng := rand.New(rand.NewPCG(42, 42))
	type input struct {
		Name       string         `json:"name"`
		Datatype   string         `json:"datatype"`
		Shape      []int64        `json:"shape"`
		Data       any            `json:"data,omitempty"`
		Parameters map[string]any `json:"parameters,omitempty"`
	}
	var inputs []input
	var raw bytes.Buffer
	for _, in := range md.Inputs {
		shape := slices.Clone(in.Shape)
		n := 1
		for i, d := range shape {
			if d < 0 {
				shape[i] = 1
				if i == 0 {
					shape[i] = int64(batch)
				}
			}
			n *= int(shape[i])
		}
		it := input{Name: in.Name, Datatype: in.Datatype, Shape: shape}
		var data any
		switch in.Datatype {
		case "FP32", "FP64":
			v := make([]float32, n)
			for i := range v {
				v[i] = rng.Float32()
			}
			data = v
			if binaryData && in.Datatype == "FP32" {
				_ = binary.Write(&raw, binary.LittleEndian, v)
				it.Parameters = map[string]any{"binary_data_size": 4 * n}
				data = nil
			}
		case "INT64", "INT32", "INT16", "INT8", "UINT8", "UINT16", "UINT32", "UINT64":
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(100)
			}
			data = v
		case "BOOL":
			v := make([]bool, n)
			for i := range v {
				v[i] = true
			}
			data = v
		default:
			return nil, nil, fmt.Errorf("input %s: perf cannot make %s data", in.Name, in.Datatype)
		}
		it.Data = data
		inputs = append(inputs, it)
	}
	js, err := json.Marshal(map[string]any{"inputs": inputs})
	if err != nil {
		return nil, nil, err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if apiKey != "" {
		h.Set("Authorization", "Bearer "+apiKey)
	}
	if raw.Len() > 0 {
		h.Set("Inference-Header-Content-Length", strconv.Itoa(len(js)))
		h.Set("Content-Type", "application/octet-stream")
		js = append(js, raw.Bytes()...)
	}
	return js, h, nil
}

// batchSizeMetric reads gonyx_batch_size's sum and count for a model from
// the Prometheus text exposition (summed over versions).
func batchSizeMetric(client *http.Client, url, model, apiKey string) (sum, count float64) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	label := `model="` + model + `"`
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var target *float64
		switch {
		case strings.HasPrefix(line, "gonyx_batch_size_sum{"):
			target = &sum
		case strings.HasPrefix(line, "gonyx_batch_size_count{"):
			target = &count
		default:
			continue
		}
		if !strings.Contains(line, label) {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				*target += v
			}
		}
	}
	return sum, count
}
