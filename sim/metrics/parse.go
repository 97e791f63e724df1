package metrics

import (
	"fmt"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Samples are the values of one scrape, for tests to read: a counter's or a gauge's
// under its name, a histogram's count and sum under name_count and name_sum. Buckets are
// left out: they hold timings, which no test asserts.
type Samples []Sample

// Sample is one series' value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// ParseText reads a scrape in the Prometheus text format.
func ParseText(r io.Reader) (Samples, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("the scrape is not the Prometheus text format: %w", err)
	}
	var out Samples
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			add := func(name string, v float64) { out = append(out, Sample{Name: name, Labels: labels, Value: v}) }
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				add(name+"_count", float64(m.GetHistogram().GetSampleCount()))
				add(name+"_sum", m.GetHistogram().GetSampleSum())
			case dto.MetricType_SUMMARY:
				add(name+"_count", float64(m.GetSummary().GetSampleCount()))
				add(name+"_sum", m.GetSummary().GetSampleSum())
			default:
				add(name, m.GetUntyped().GetValue())
			}
		}
	}
	return out, nil
}

// Sum adds up the series of name whose labels hold every pair given (label, value,
// label, value...): with every label of the series, its value; with none, the total.
func (s Samples) Sum(name string, pairs ...string) float64 {
	var total float64
	for _, x := range s {
		if x.Name == name && x.has(pairs) {
			total += x.Value
		}
	}
	return total
}

// Count is how many series of name hold every pair given.
func (s Samples) Count(name string, pairs ...string) int {
	n := 0
	for _, x := range s {
		if x.Name == name && x.has(pairs) {
			n++
		}
	}
	return n
}

func (x Sample) has(pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := x.Labels[pairs[i]]; !ok || v != pairs[i+1] {
			return false
		}
	}
	return true
}
