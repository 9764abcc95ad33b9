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
	failure  error // what ended the run; nil when it ended by itself
	stopped  bool  // the organizer stopped it (or Ctrl-C)
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
		t.failure = err
	case end.Stopped != nil:
		t.failure = end.Stopped
	case errors.Is(end.Err, provision.ErrInterrupted):
		t.stopped = true
	case end.Err != nil:
		t.failure = end.Err
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

// progress is what the page's live view shows, in its language.
type progress struct {
	Kind    string         `json:"kind"`
	Phase   string         `json:"phase"`
	Total   int            `json:"total"`
	Done    int            `json:"done"`
	Counts  map[string]int `json:"counts"`
	Pending int            `json:"pending"`
	// Text says the progress; PauseText the wiki's pause, with the time
	// left, while it lasts.
	Text      string `json:"text"`
	PauseText string `json:"pause_text,omitempty"`
	Failure   string `json:"failure,omitempty"`
	Version   int    `json:"version"`
	paused    bool
}

func (t *task) progress(l lang) (progress, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := progress{Kind: "run", Phase: t.phase, Total: t.plan.Counts.Rows, Done: len(t.rows), Counts: map[string]int{},
		Version: t.version}
	if t.kind == kindCheck {
		p.Kind = "check"
	}
	for st, n := range t.counts {
		p.Counts[string(st)] = n
	}
	p.Pending = p.Total - p.Done
	if c := l.counts(t.counts); c != "" {
		p.Text = l.Text("progress-status", l.Lang.Number(p.Done), l.Lang.Number(p.Total), c, l.Lang.Number(p.Pending))
	} else {
		p.Text = l.Text("progress-status-none", l.Lang.Number(p.Done), l.Lang.Number(p.Total), l.Lang.Number(p.Pending))
	}
	now := t.clock.Now()
	if t.phase == "stopping" {
		p.Text = l.Text("progress-join", p.Text, l.Text("progress-stopping"))
	}
	if toSend := t.plan.Counts.ToSend(); t.sent > 0 && t.phase == "running" && toSend > t.sent {
		per := now.Sub(t.runStart) / time.Duration(t.sent)
		eta := per * time.Duration(toSend-t.sent)
		if t.pause != nil && t.pause.Until.After(now) {
			eta += t.pause.Until.Sub(now)
		}
		p.Text = l.Text("progress-join", p.Text, l.Text("progress-eta", l.duration(eta)))
	}
	if t.pause != nil && t.pause.Until.After(now) && t.phase == "running" {
		p.paused = true
		left := l.duration(t.pause.Until.Sub(now))
		if w := t.pause.Throttle; w.Count > 0 {
			p.PauseText = l.Text("progress-throttle", w.Count, l.duration(w.Length), left)
		} else {
			p.PauseText = l.Text("progress-pause", t.pause.Why, left)
		}
	}
	switch {
	case t.stopped:
		p.Failure = l.Text("end-stopped")
	case t.failure != nil:
		p.Failure = t.explain(t.failure)
	}
	return p, t.changed
}

// events pushes the live progress of the current task to the page, as
// server-sent events: at once when the engine reports, a comment every
// 15 s to keep the stream open; the stream ends with the task.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	l := s.language(r)
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
	// While the wiki's pause lasts, its countdown is sent each second.
	second := time.NewTicker(time.Second)
	defer second.Stop()
	var tick <-chan time.Time
	for {
		p, changed := t.progress(l)
		if p.Version != last || p.paused {
			b, _ := json.Marshal(p)
			fmt.Fprintf(w, "id: %s\ndata: %s\n\n", strconv.Itoa(p.Version), b)
			fl.Flush()
			last = p.Version
		}
		tick = nil
		if p.paused {
			tick = second.C
		}
		if p.Phase == "done" {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			fl.Flush()
			return
		}
		select {
		case <-changed:
		case <-tick:
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
