package classify

import (
	"testing"

	"github.com/mwprovision/mwprovision/report"
)

// Every spelling of the wiki's refusals that are not about the row is
// taken for what it is: its rate limit, under either code, pauses every
// worker; a name CentralAuth holds, under any of its codes, exists.
func TestRefusalSpellings(t *testing.T) {
	for _, tt := range []struct {
		code   string
		action Action
		status report.Status
	}{
		{"ratelimited", PauseAll, ""},
		{"actionthrottledtext", PauseAll, ""},
		{"userexists", Decide, report.Exists},
		{"centralauth-account-exists", Decide, report.Exists},
		{"centralauth-account-unattached-exists", Decide, report.Exists},
	} {
		o := Refusal(tt.code, nil)
		if o.Action != tt.action || o.Status != tt.status || o.Unexplained {
			t.Errorf("Refusal(%q) = %+v, want action %s, status %q, explained", tt.code, o, tt.action, tt.status)
		}
	}
}
