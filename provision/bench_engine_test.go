package provision

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/time/rate"

	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

// instantWiki is an api.php that answers at once, in process, so that a
// benchmark measures mwprovision alone.
type instantWiki struct{}

func (instantWiki) RoundTrip(r *http.Request) (*http.Response, error) {
	var body string
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Get("meta") == "tokens":
		body = `{"query":{"tokens":{"logintoken":"l+\\","createaccounttoken":"c+\\"}}}`
	case r.Method == http.MethodGet:
		body = `{"query":{"userinfo":{"id":1,"name":"Owner","rights":["createaccount","noratelimit"]},"general":{"sitename":"Bench"}}}`
	default:
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		switch {
		case bytes.HasPrefix(b, []byte("action=login")):
			body = `{"login":{"result":"Success","lgusername":"Owner"}}`
		default:
			name := ""
			if i := bytes.Index(b, []byte("&username=")); i >= 0 {
				rest := b[i+len("&username="):]
				if j := bytes.IndexByte(rest, '&'); j >= 0 {
					rest = rest[:j]
				}
				name, _ = url.QueryUnescape(string(rest))
			}
			body = `{"createaccount":{"status":"PASS","username":` + strconv.Quote(name) + `}}`
		}
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// peakRSS is this process's peak resident set size in MiB (Linux).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkEngineRun100k measures the tool alone: 100,000 rows read from a
// sheet, checked, sent by 4 workers to an API that answers at once, logged
// as JSON lines and written to a results file. Targets on a 2-core machine:
// at least 20,000 rows/s, peak RSS under 60 MB. Run it alone for the RSS:
// go test -run '^$' -bench EngineRun100k -benchtime 1x ./provision
func BenchmarkEngineRun100k(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	sheetPath := filepath.Join(dir, "sheet.csv")
	f, _ := os.Create(sheetPath)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "username,email,realname")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "participant_%06d,p%d@example.org,Participant %d\n", i, i, i)
	}
	w.Flush()
	f.Close()
	client := &http.Client{Transport: instantWiki{}}
	b.ResetTimer()
	var ms0, ms1 runtime.MemStats
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		in, _ := os.Open(sheetPath)
		fi, _ := in.Stat()
		plan, err := ReadPlan(b.Context(), sheet.File(in, fi.Size()), PlanOptions{MailPassword: true})
		if err != nil {
			b.Fatal(err)
		}
		logFile, _ := os.Create(filepath.Join(dir, "log.jsonl"))
		enc := zap.NewProductionEncoderConfig()
		log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(logFile), zap.InfoLevel))
		rec, err := report.OpenRecord(filepath.Join(dir, "results.csv"), false)
		if err != nil {
			b.Fatal(err)
		}
		out, err := rec.Start(report.About{}, report.Run{Started: time.Now(), Groups: false})
		if err != nil {
			b.Fatal(err)
		}
		e := New(Config{API: "https://bench.invalid/w/api.php", User: "Owner@bench", Password: "x", MailPassword: true,
			Workers: 4, Rate: rate.Inf, MaxAttempts: 3, MaxWait: time.Minute, UserAgent: "bench"}, Deps{HTTP: client, Log: log})
		runtime.ReadMemStats(&ms0)
		start := time.Now()
		sum, err := e.Run(b.Context(), plan, owner, out)
		elapsed += time.Since(start)
		runtime.ReadMemStats(&ms1)
		if err != nil || sum.Counts[report.Created] != rows {
			b.Fatalf("run: %v, %v", err, sum.Counts)
		}
		rec.Close()
		logFile.Close()
		in.Close()
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/rows, "allocs/row")
	b.ReportMetric(peakRSS(), "peak-RSS-MB")
}
