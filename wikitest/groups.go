package wikitest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EnwikiGroups is LocalSettings.php for user groups as English Wikipedia
// has them (Options.Extra): a confirmed group with autoconfirmed's rights,
// an eventcoordinator group that creates accounts past the throttle and
// may add and remove confirmed, a custom staff group for migrations, and
// English Wikipedia's autoconfirm thresholds (4 days, 10 edits) — at
// MediaWiki's defaults every account is autoconfirmed at once.
const EnwikiGroups = `$wgGroupPermissions['confirmed'] = $wgGroupPermissions['autoconfirmed'];
$wgGroupPermissions['eventcoordinator']['noratelimit'] = true;
$wgGroupPermissions['eventcoordinator']['createaccount'] = true;
$wgAddGroups['eventcoordinator'] = [ 'confirmed' ];
$wgRemoveGroups['eventcoordinator'] = [ 'confirmed' ];
$wgGroupPermissions['staff']['read'] = true;
$wgAutoConfirmAge = 4 * 86400;
$wgAutoConfirmCount = 10;`

// Membership is a group a user holds explicitly, until Expiry ("infinity"
// for none).
type Membership struct {
	Group  string `json:"group"`
	Expiry string `json:"expiry"`
}

// Member is what list=users says about a user's groups.
type Member struct {
	Name        string       `json:"name"`
	Missing     bool         `json:"missing"`
	Groups      []string     `json:"groups"` // implicit ones too: *, user, autoconfirmed
	Memberships []Membership `json:"groupmemberships"`
}

// Until is when the user's membership of group ends: zero time and true
// for a permanent one, false when the user is not in the group.
func (m Member) Until(group string) (time.Time, bool) {
	for _, g := range m.Memberships {
		if g.Group != group {
			continue
		}
		if g.Expiry == "infinity" || g.Expiry == "infinite" {
			return time.Time{}, true
		}
		t, err := time.Parse(time.RFC3339, g.Expiry)
		return t, err == nil
	}
	return time.Time{}, false
}

// Members looks the users' groups up anonymously, by name.
func (w *Wiki) Members(names ...string) (map[string]Member, error) {
	out := map[string]Member{}
	for len(names) > 0 {
		n := min(50, len(names))
		var r struct {
			Query struct {
				Users []Member `json:"users"`
			} `json:"query"`
		}
		err := w.Anonymous().Get(params("action", "query", "list", "users", "ususers", multi(names[:n]),
			"usprop", "groups|groupmemberships"), &r)
		if err != nil {
			return nil, err
		}
		for _, u := range r.Query.Users {
			out[u.Name] = u
		}
		names = names[n:]
	}
	return out, nil
}

// AddToGroup adds an existing user to group until a time (zero: for
// good), with the wiki's own UserGroupManager, as a bureaucrat would.
func (w *Wiki) AddToGroup(user, group string, until time.Time) error {
	expiry := "null"
	if !until.IsZero() {
		expiry = fmt.Sprintf("'%s'", until.UTC().Format("20060102150405"))
	}
	code := fmt.Sprintf(`$u = MediaWiki\MediaWikiServices::getInstance()->getUserFactory()->newFromName(%s);
echo MediaWiki\MediaWikiServices::getInstance()->getUserGroupManager()->addUserToGroup($u, %s, %s) ? "added to the group\n" : "not added\n";`,
		phpString(user), phpString(group), expiry)
	return w.evalExpect(fmt.Sprintf("AddToGroup %s %s", user, group), code, "added to the group")
}

// MakeAutoconfirmed makes a user old enough and busy enough for the
// wiki's autoconfirmed thresholds (registered in 2020, 100 edits).
func (w *Wiki) MakeAutoconfirmed(user string) error {
	code := fmt.Sprintf(`$dbw = wfGetDB(DB_PRIMARY);
$dbw->update('user', ['user_registration' => '20200101000000', 'user_editcount' => 100], ['user_name' => %s], 'wikitest');
echo $dbw->affectedRows(), " updated\n";`, phpString(user))
	return w.evalExpect(fmt.Sprintf("MakeAutoconfirmed %s", user), code, "1 updated")
}

// RightsEvent is an entry of the rights log: a change of a user's groups.
type RightsEvent struct {
	Title     string          `json:"title"` // "User:Name"
	User      string          `json:"user"`  // who changed them
	Comment   string          `json:"comment"`
	Timestamp string          `json:"timestamp"`
	Params    json.RawMessage `json:"params"`
}

// UserName is the user whose groups changed.
func (e RightsEvent) UserName() string { return afterNamespace(e.Title) }

// RightsLog returns the whole rights log, oldest first.
func (w *Wiki) RightsLog() ([]RightsEvent, error) {
	return wholeLog[RightsEvent](w, "rights", "title|user|timestamp|comment|details")
}

// phpString is s as a PHP single-quoted string.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// evalExpect runs PHP with eval.php and returns nil when its output holds
// the line success, else an error naming what was done.
func (w *Wiki) evalExpect(what, code, success string) error {
	out, err := w.eval(code)
	if err != nil {
		return err
	}
	if !strings.Contains(out, success) {
		return fmt.Errorf("wikitest: %s: %q", what, tail(out, 5))
	}
	return nil
}
