package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/mwprovision/mwprovision/provision"
	"github.com/mwprovision/mwprovision/provision/job"
	"github.com/mwprovision/mwprovision/provision/pacer"
	"github.com/mwprovision/mwprovision/provision/sheet"
	"github.com/mwprovision/mwprovision/report"
)

type taskKind int

const (
	kindCheck taskKind = iota // a dry run against the wiki
	kindRun                   // a run that writes to the wiki
)

// task is one run of the chain of package job, as the command line runs
// it: the steps up to the confirmation (begin), then the run itself
// (run). It is the engine's Reporter, and what the page's live progress
// reads.
type task struct {
	kind     taskKind
	set      Setup
	clock    pacer.Clock
	explain  func(error) string
	started  time.Time
	rec      *report.Record
	site     job.Site
	prev     *report.Previous
	plan     *provision.Plan
	eng      *provision.Engine
	creator  *provision.Creator
	existing *provision.Existing
	// existingErr: which accounts exist already could not be learned.
	existingErr error
	// key is what a check checked (checkKey).
	key      string
	file     *os.File
	log      *zap.Logger
	closeLog func()
	ctx      context.Context
	cancel   context.CancelFunc

	mu       sync.Mutex
	phase    string // ready, running, stopping, done
	rows     []report.Row
	counts   map[report.Status]int
	sent     int
	pause    *pacer.Pause
	runStart time.Time
	ranFor   time.Duration
	end      *job.End
	failure  string // what ended the run, in words
	version  int
	changed  chan struct{}
}

// begin takes the steps of a run up to its confirmation: the record, the
// wiki, the earlier runs, the plan, the engine, the creator, the existing
// accounts. An error leaves nothing open.
func (s *Server) begin(ctx context.Context, set Setup, kind taskKind) (*task, error) {
	o := set.Job
	t := &task{kind: kind, set: set, clock: s.cfg.Clock, explain: s.cfg.Explain, started: s.cfg.Clock.Now(),
		phase: "ready", counts: map[report.Status]int{}, changed: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	ok := false
	defer func() {
		if !ok {
			t.abandon()
		}
	}()
	var err error
	if t.rec, err = report.OpenRecord(o.Out, o.Resume); err != nil {
		return nil, err
	}
	if t.site, err = job.AskSite(ctx, o, s.cfg.HTTP(1), s.cfg.Clock); err != nil {
		return nil, err
	}
	if t.prev, err = job.Previous(o, t.rec); err != nil {
		return nil, err
	}
	if t.file, err = os.Open(set.Sheet); err != nil {
		return nil, fmt.Errorf("cannot open the sheet: %v", err)
	}
	fi, err := t.file.Stat()
	if err != nil {
		return nil, err
	}
	if t.plan, err = job.ReadPlan(ctx, o, t.site, t.prev, sheet.File(t.file, fi.Size()), t.started.UTC().Truncate(time.Second)); err != nil {
		return nil, err
	}
	if t.log, t.closeLog, err = s.cfg.OpenLog(set.LogFile); err != nil {
		return nil, err
	}
	t.log.Info("start", zap.String("version", s.cfg.Version), zap.String("front_end", "console"), zap.String("sheet", set.Sheet),
		zap.String("api", o.API), zap.String("user", o.User), zap.Bool("mailpassword", o.MailPassword), zap.Int("workers", o.Workers),
		zap.Bool("dry_run", o.DryRun), zap.Int("rows", t.plan.Counts.Rows), zap.Int("to_create", t.plan.Counts.ToCreate),
		zap.Int("to_grant", t.plan.Counts.ToGrant), zap.Strings("add_groups", o.AddGroups), zap.String("group_expiry", o.GroupExpiry))
	t.eng = job.NewEngine(o, t.plan, provision.Deps{HTTP: s.cfg.HTTP(o.Workers), Log: t.log, Reporter: t, Clock: s.cfg.Clock, Advise: s.cfg.Advise})
	if t.creator, err = job.Preflight(ctx, o, t.eng, t.plan, t.log); err != nil {
		return nil, err
	}
	// As on the command line, existing accounts that cannot be looked up
	// are no reason to stop: they are added to the groups too.
	t.existing, t.existingErr = job.FindExisting(ctx, o, t.eng, t.plan, t.creator, t.log)
	ok = true
	return t, nil
}

// abandon closes what begin opened: a run not confirmed, or one ended.
func (t *task) abandon() {
	t.cancel()
	if t.closeLog != nil {
		t.closeLog()
		t.closeLog = nil
	}
	if t.file != nil {
		t.file.Close()
	}
	if t.rec != nil {
		t.rec.Close()
	}
}

// run carries the run out until it ends, is stopped, or ctx (the
// console's) ends: as at Ctrl-C, requests in flight finish and the rest
// is left pending, and the record is committed.
func (t *task) run(ctx context.Context) {
	defer t.abandon()
	defer context.AfterFunc(ctx, t.stop)()
	t.mu.Lock()
	if t.phase == "ready" {
		t.phase = "running"
	}
	t.runStart = t.clock.Now()
	t.bumpLocked()
	t.mu.Unlock()
	results, err := job.Start(t.set.Job, t.rec, t.plan, t.creator, t.started)
	if err != nil {
		var sc *job.SheetChangedError
		if errors.As(err, &sc) {
			err = fmt.Errorf("%w; nothing was created: check the sheet, then run again", sc.Err)
		}
		t.finished(nil, err)
		return
	}
	sum, runErr := t.eng.Run(t.ctx, t.plan, t.creator, tee{results, t})
	end := job.Finish(t.rec, t.plan, sum, runErr, t.log)
	t.finished(&end, nil)
}

// finished records how the run ended.
func (t *task) finished(end *job.End, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.phase, t.end, t.ranFor = "done", end, t.clock.Now().Sub(t.runStart)
	switch {
	case err != nil:
		t.failure = t.explain(err)
	case end.Stopped != nil:
		t.failure = t.explain(end.Stopped)
	case errors.Is(end.Err, provision.ErrInterrupted):
		t.failure = "stopped: the rows not yet decided are pending; Resume continues the run"
	case end.Err != nil:
		t.failure = t.explain(end.Err)
	}
	t.pause = nil
	t.bumpLocked()
}

// stop stops the run as the first Ctrl-C does.
func (t *task) stop() {
	t.mu.Lock()
	if t.phase == "running" {
		t.phase = "stopping"
		t.bumpLocked()
	}
	t.mu.Unlock()
	t.cancel()
}

// ended reports whether the task is over (or never started).
func (t *task) ended() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phase == "done"
}

func (t *task) bumpLocked() {
	t.version++
	close(t.changed)
	t.changed = make(chan struct{})
}

// RowDone counts the rows this run's requests decided.
func (t *task) RowDone(_ report.Row, sent bool) {
	if !sent {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent++
	t.bumpLocked()
}

// Paused shows the wiki's pause.
func (t *task) Paused(p pacer.Pause) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pause = &p
	t.bumpLocked()
}

// wrote takes rows as the results file does.
func (t *task) wrote(rows []report.Row) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows = append(t.rows, rows...)
	for _, r := range rows {
		t.counts[r.Status]++
	}
	t.bumpLocked()
}

// tee writes rows to the results file, and shows them.
type tee struct {
	f *report.File
	t *task
}

func (s tee) Write(rows ...report.Row) error {
	if err := s.f.Write(rows...); err != nil {
		return err
	}
	s.t.wrote(rows)
	return nil
}

func (s tee) Sent(name string, at time.Time) error { return s.f.Sent(name, at) }

// progress is what the page's live view shows.
type progress struct {
	Kind    string         `json:"kind"`
	Phase   string         `json:"phase"`
	Total   int            `json:"total"`
	Done    int            `json:"done"`
	Counts  map[string]int `json:"counts"`
	Pending int            `json:"pending"`
	// PauseUntil is when the wiki's pause ends (RFC 3339), PauseWhy why,
	// Window the wiki's throttle window in seconds, when it said.
	PauseUntil string `json:"pause_until,omitempty"`
	PauseWhy   string `json:"pause_why,omitempty"`
	Window     int    `json:"window,omitempty"`
	Limit      int    `json:"limit,omitempty"`
	// ETA is the estimated seconds to the end, when it can be estimated.
	ETA     int    `json:"eta,omitempty"`
	Failure string `json:"failure,omitempty"`
	Version int    `json:"version"`
}

func (t *task) progress() (progress, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := progress{Kind: "run", Phase: t.phase, Total: t.plan.Counts.Rows, Done: len(t.rows), Counts: map[string]int{},
		Failure: t.failure, Version: t.version}
	if t.kind == kindCheck {
		p.Kind = "check"
	}
	for st, n := range t.counts {
		p.Counts[string(st)] = n
	}
	p.Pending = p.Total - p.Done
	now := t.clock.Now()
	if t.pause != nil && t.pause.Until.After(now) {
		p.PauseUntil, p.PauseWhy = t.pause.Until.UTC().Format(time.RFC3339), t.pause.Why
		p.Window, p.Limit = int(t.pause.Throttle.Length.Seconds()), t.pause.Throttle.Count
	}
	if toSend := t.plan.Counts.ToSend(); t.sent > 0 && t.phase == "running" && toSend > t.sent {
		per := now.Sub(t.runStart) / time.Duration(t.sent)
		p.ETA = int((per * time.Duration(toSend-t.sent)).Seconds())
		if p.PauseUntil != "" {
			p.ETA += int(t.pause.Until.Sub(now).Seconds())
		}
	}
	return p, t.changed
}

// events pushes the live progress of the current task to the page, as
// server-sent events: at once when the engine reports, a comment every
// 15 s to keep the stream open; the stream ends with the task.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.st.task
	s.mu.Unlock()
	fl, ok := w.(http.Flusher)
	if t == nil || !ok {
		http.Error(w, "no run", http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	last := -1
	quitting := s.ctx.Done()
	for {
		p, changed := t.progress()
		if p.Version != last {
			b, _ := json.Marshal(p)
			fmt.Fprintf(w, "id: %s\ndata: %s\n\n", strconv.Itoa(p.Version), b)
			fl.Flush()
			last = p.Version
		}
		if p.Phase == "done" {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			fl.Flush()
			return
		}
		select {
		case <-changed:
		case <-keep.C:
			fmt.Fprint(w, ": still here\n\n")
			fl.Flush()
		case <-r.Context().Done():
			return
		case <-quitting:
			// The console ends: the run stops, and the stream says how.
			quitting = nil
		}
	}
}
