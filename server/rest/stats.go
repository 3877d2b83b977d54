package rest

import (
	"net/http"

	"github.com/gonyx/gonyx/server/infer"
)

// Triton's statistics extension JSON. Durations are in nanoseconds and
// last_inference in milliseconds since the epoch, as Triton reports them.
type statsJSON struct {
	ModelStats []modelStatsJSON `json:"model_stats"`
}

type modelStatsJSON struct {
	Name           string             `json:"name"`
	Version        string             `json:"version"`
	LastInference  int64              `json:"last_inference"`
	InferenceCount uint64             `json:"inference_count"`
	ExecutionCount uint64             `json:"execution_count"`
	InferenceStats inferenceStatsJSON `json:"inference_stats"`
}

type inferenceStatsJSON struct {
	Success      durationJSON `json:"success"`
	Fail         durationJSON `json:"fail"`
	Queue        durationJSON `json:"queue"`
	ComputeInfer durationJSON `json:"compute_infer"`
}

type durationJSON struct {
	Count uint64 `json:"count"`
	NS    int64  `json:"ns"`
}

func (h *handler) statistics(w http.ResponseWriter, r *http.Request) {
	stats, err := h.svc.Statistics(r.Context(), r.PathValue("model"), r.PathValue("version"))
	if err != nil {
		h.fail(w, err)
		return
	}
	out := statsJSON{ModelStats: make([]modelStatsJSON, len(stats))}
	for i, s := range stats {
		var last int64
		if !s.LastInference.IsZero() {
			last = s.LastInference.UnixMilli()
		}
		out.ModelStats[i] = modelStatsJSON{
			Name: s.Name, Version: s.Version, LastInference: last,
			InferenceCount: s.InferenceCount, ExecutionCount: s.ExecutionCount,
			InferenceStats: inferenceStatsJSON{
				Success:      durationStat(s.Success),
				Fail:         durationStat(s.Fail),
				Queue:        durationStat(s.Queue),
				ComputeInfer: durationStat(s.Compute),
			},
		}
	}
	h.ok(w, out)
}

func durationStat(d infer.DurationStat) durationJSON {
	return durationJSON{Count: d.Count, NS: d.Total.Nanoseconds()}
}
