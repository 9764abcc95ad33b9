package console

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// Progress reaches the page's event stream as soon as the engine reports
// it: the time from a row the engine hands over to the event that carries
// it, through the console's HTTP server and a real connection.
func BenchmarkProgressLatency(b *testing.B) {
	s, ts := testServer(b)
	plan, err := job.ReadPlan(context.Background(), job.Options{DryRun: true}, job.Site{},
		nil, sheet.Bytes([]byte("username\nA\n")), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	t := &task{kind: kindRun, plan: plan, clock: pacer.SystemClock{}, phase: "running", counts: map[report.Status]int{},
		changed: make(chan struct{}), runStart: time.Now()}
	s.st.task = t
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	if resp, err := client.Get(ts.URL + "/?token=" + s.Token()); err != nil {
		b.Fatal(err)
	} else {
		resp.Body.Close()
	}
	resp, err := client.Get(ts.URL + "/events")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	next := func() {
		for {
			line, err := events.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(line, "data: ") {
				return
			}
		}
	}
	next() // the state at connection
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		t.wrote([]report.Row{{Line: i + 2, Status: report.Created}})
		next()
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
}
