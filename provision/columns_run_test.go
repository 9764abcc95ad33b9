package provision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mwprovision/mwprovision/provision/sheet"
)

// The preview shows each field's column with its first value (never a
// password), the first names to create, the reasons that will be public,
// and rows that share an email.
func TestPlanPreview(t *testing.T) {
	data := "Wiki username,E-mail,Password,Reason\n" +
		"maria_g,shared@example.org,secret-1,\n" +
		"bad#name,x@example.org,secret-2,Private note\n" +
		"jan_k,JAN@example.org,secret-3,Table 2\n" +
		"piotr_k,shared@example.org,secret-4,Table 2\n" +
		"ola,jan@example.org,secret-5,Mentor\n" +
		"Maria_g,other@example.org,secret-6,\n" +
		"zoe,z@example.org,secret-7,\n"
	for _, offline := range []bool{false, true} {
		p, err := ReadPlan(t.Context(), sheet.Stream(strings.NewReader(data)), PlanOptions{MailPassword: false, Offline: offline})
		if err != nil {
			t.Fatal(err)
		}
		pv := p.Preview
		if got, want := fmt.Sprint(pv.Columns), "[{username Wiki username maria_g false} {email E-mail shared@example.org false} {reason Reason Private note false} {password Password  true}]"; got != want {
			t.Errorf("columns %s, want %s", got, want)
		}
		if got, want := strings.Join(pv.First, ", "), "Maria g, Jan k, Piotr k, Ola, Zoe"; got != want {
			t.Errorf("first %q, want %q", got, want)
		}
		if got, want := fmt.Sprint(pv.Reasons, pv.DistinctReasons, pv.WithoutReason), "[{Table 2 2} {Mentor 1}] 2 2"; got != want {
			t.Errorf("reasons %s, want %s (the invalid row's reason is never published)", got, want)
		}
		if got, want := fmt.Sprint(pv.SharedEmails, pv.SharedEmailRows), "[{5 2} {6 4}] 2"; got != want {
			t.Errorf("shared emails %s, want %s", got, want)
		}
	}
}
