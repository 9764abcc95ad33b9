package provision

import (
	"cmp"
	"fmt"
	"sync"

	"github.com/mwprovision/mwprovision/provision/classify"
	"github.com/mwprovision/mwprovision/provision/pacer"
)

// CreatorError stops a run: the wiki refused a row for a reason about the
// creator, or where it creates from, so every following row would get the
// same answer. The rows not yet decided end pending, with the code; a later
// run with --resume carries on once the cause is gone.
type CreatorError struct {
	Trouble classify.CreatorTrouble
	Code    string // the wiki's refusal code
	Message string // the wiki's words
	Line    int    // the row that met it
	// Creator is the account that creates, when the cause is about its
	// rights (TroubleExempt); else empty.
	Creator string
}

func (e *CreatorError) Error() string {
	return fmt.Sprintf("%s (line %d %s: %s)", e.Fact(), e.Line, e.met(), e.Message)
}

// rowWhy is the shorter cause a pending row gives.
func (e *CreatorError) rowWhy() string {
	return fmt.Sprintf("%s (line %d %s with %s)", e.Fact(), e.Line, e.met(), e.Code)
}

// met is what happened to the row that met the cause.
func (e *CreatorError) met() string {
	if e.Trouble == classify.TroubleServer {
		return "was answered"
	}
	return "was refused"
}

// Is makes errors.Is(err, ErrStopped) true.
func (e *CreatorError) Is(target error) bool { return target == pacer.ErrStopped }

// Fact says in plain words what the wiki refuses.
func (e *CreatorError) Fact() string {
	switch e.Trouble {
	case classify.TroubleCaptcha:
		return "the wiki asks the creator for a CAPTCHA"
	case classify.TroubleBlocked:
		return "the creator, or its IP address, is blocked"
	case classify.TroubleNetwork:
		return "the wiki refuses account creation from this IP address"
	case classify.TroubleRight:
		return "the creator may no longer create accounts"
	case classify.TroubleLogin:
		return "the wiki no longer accepts the creator's login"
	case classify.TroubleDisabled:
		if e.Code == "emaildisabled" {
			return "the wiki sends no mail, so it cannot mail passwords"
		}
		return "account creation is switched off on the wiki"
	case classify.TroubleRepeated:
		return fmt.Sprintf("%d rows in a row were refused with the same code, which mwprovision does not know", haltAfterUnexplained)
	case classify.TroubleServer:
		return fmt.Sprintf("the wiki answered %d requests in a row with the same error of its own, %s", haltAfterFaults, e.Code)
	case classify.TroubleExempt:
		return fmt.Sprintf("the wiki's per-IP limit on account creation refused %s, which holds noratelimit and so should be exempt from it",
			cmp.Or(e.Creator, "the creator"))
	}
	return "the wiki refuses every row"
}

// haltAfterUnexplained is how many rows in a row an unexplained refusal code
// must refuse to stop the run. A refusal about the row (an AbuseFilter rule
// on names) rarely meets several rows in a row of a real sheet; one about the
// creator meets every row, and each costs the wiki a request and may count
// against its throttle. Five keeps a sheet with a few odd names running,
// while a run of any size wastes at most four more requests (and whatever
// the other workers had in flight).
const haltAfterUnexplained = 5

// haltAfterFaults is how many answers in a row must be the same error of
// the wiki's own (classify.Outcome.ServerError: an exception, HTTP 500) to
// stop the run. One now and then is retried; the same one five times in a
// row, over the backoff between them (about 10 seconds), is a broken wiki,
// which backing off until the limit on waiting would only wait for. Network
// faults, and gateways that cannot reach the wiki, are left to that limit:
// they are an outage, which may end.
const haltAfterFaults = 5

// streak counts answers in a row that stop the run when enough of them
// are the same code, in the order they came, whatever the request and the
// row: refusals with a code mwprovision does not explain (unexplained), and
// errors of the wiki's own (faults).
type streak struct {
	counts  func(classify.Outcome) bool
	limit   int
	trouble classify.CreatorTrouble

	mu   sync.Mutex
	code string
	n    int
}

// unexplained is a streak of rows refused with the same unexplained code.
func unexplained() *streak {
	return &streak{counts: func(o classify.Outcome) bool { return o.Unexplained }, limit: haltAfterUnexplained, trouble: classify.TroubleRepeated}
}

// faults is a streak of answers that are the same error of the wiki's own.
func faults() *streak {
	return &streak{counts: func(o classify.Outcome) bool { return o.ServerError }, limit: haltAfterFaults, trouble: classify.TroubleServer}
}

// note records an answer; it returns the CreatorError that stops the run
// once the streak is long enough. line is the row of the request.
func (s *streak) note(o classify.Outcome, line int) *CreatorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.counts(o) {
		s.code, s.n = "", 0
		return nil
	}
	if o.Code != s.code {
		s.code, s.n = o.Code, 0
	}
	s.n++
	if s.n < s.limit {
		return nil
	}
	return &CreatorError{Trouble: s.trouble, Code: o.Code, Message: o.Message, Line: line}
}
