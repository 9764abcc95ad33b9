package sheet

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// These tests kill mutants of .ci/mutants/columns.txt that no other unit
// test kills: each names the mutant it guards against.

// A form's "Group" (a team, a workshop) is not the wiki's user groups:
// only "Groups" and its aliases feed them by their header.
// Kills alias-group-is-groups.
func TestAFormsGroupColumnFeedsNoUserGroups(t *testing.T) {
	for _, h := range []string{"Group", "group", "Team", "Workshop group"} {
		s, err := New(strings.NewReader("Username,"+h+"\n"), nil)
		if err != nil {
			t.Errorf("%q: %v", h, err)
			continue
		}
		if s.Col[fieldGroups] != -1 {
			t.Errorf("the column %q feeds the user groups", h)
		}
		if !slices.Contains(s.Ignored, h) {
			t.Errorf("the column %q is not among the ignored %q", h, s.Ignored)
		}
	}
	s, err := New(strings.NewReader("Username,Groups\n"), nil)
	if err != nil || s.Col[fieldGroups] != 1 {
		t.Errorf("a \"Groups\" column: %v, %v; want it to feed the groups", s, err)
	}
}

// A column whose header is "#2", chosen as --column username=#2, is that
// column: the name as written comes before a position.
// Kills position-before-name.
func TestAColumnCalledLikeAPositionIsChosenByItsName(t *testing.T) {
	s, err := New(strings.NewReader("#2,Full name,E-mail\n"), map[string]string{"username": "#2"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Col[fieldUsername] != 0 {
		t.Errorf("username ← column %d, want 0 (the column called \"#2\")", s.Col[fieldUsername])
	}
}

// When two columns could be the username and the last of them shares its
// header with another column, the advice chooses it by its position: its
// name would be refused as the name of two columns.
// Kills ambiguous-advice-by-name.
func TestAmbiguousAdviceChoosesASharedNameByPosition(t *testing.T) {
	_, err := New(strings.NewReader("Wiki username,Username,E-mail,Username\n"), nil)
	var ac *AmbiguousColumnError
	if !errors.As(err, &ac) {
		t.Fatalf("err = %v, want an *AmbiguousColumnError", err)
	}
	if ac.Choice != "#4" {
		t.Errorf("choice %q, want \"#4\"", ac.Choice)
	}
	// The advice works: choosing it maps the username.
	s, err := New(strings.NewReader("Wiki username,Username,E-mail,Username\n"), map[string]string{"username": ac.Choice})
	if err != nil {
		t.Fatalf("--column username=%s: %v", ac.Choice, err)
	}
	if s.Col[fieldUsername] != 3 {
		t.Errorf("--column username=%s: username ← column %d, want 3", ac.Choice, s.Col[fieldUsername])
	}
}

// A column chosen for one field feeds that field only, though its header
// names another: a form's "Login" (the address the person signed in to
// the form with), chosen as the email, is not also a username candidate
// beside "Wiki username".
// Kills chosen-not-claimed.
func TestAChosenColumnFeedsNoOtherField(t *testing.T) {
	s, err := New(strings.NewReader("Login,Wiki username\n"), map[string]string{"email": "Login"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Col[fieldEmail] != 0 || s.Col[fieldUsername] != 1 {
		t.Errorf("email ← column %d, username ← column %d; want 0 and 1", s.Col[fieldEmail], s.Col[fieldUsername])
	}
}
