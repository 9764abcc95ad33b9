package wikitest

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Mail is a mail the wiki sent, captured by DIR/sendmail.sh.
type Mail struct {
	To      string // bare address from the To: header, e.g. "u1@example.org"
	Subject string // decoded, e.g. "Account creation for Test wiki"
	Body    string // after the blank line, with "\n" line ends
	Raw     string // the whole file
	File    string // path of DIR/mail/<unix nanoseconds>.<pid>.eml
}

var tempPasswordRE = []*regexp.Regexp{
	regexp.MustCompile(`with password "([^"]*)"`),   // account creation (byemail)
	regexp.MustCompile(`Temporary password: (\S+)`), // password reset
}

// TemporaryPassword returns the password in `with password "…"` (the mail
// of an account created with mailpassword) or, failing that, in
// `Temporary password: …` (a password reset mail); "" if none.
func (m Mail) TemporaryPassword() string {
	for _, re := range tempPasswordRE {
		if s := re.FindStringSubmatch(m.Body); s != nil {
			return s[1]
		}
	}
	return ""
}

// Mails returns all captured mails, oldest first (files sorted by name).
func (w *Wiki) Mails() ([]Mail, error) {
	files, err := filepath.Glob(filepath.Join(w.Dir, "mail", "*.eml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	mails := make([]Mail, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return mails, err
		}
		m := parseMail(raw)
		m.File = f
		mails = append(mails, m)
	}
	return mails, nil
}

func parseMail(raw []byte) Mail {
	m := Mail{Raw: string(raw)}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Body = strings.ReplaceAll(m.Raw, "\r\n", "\n")
		return m
	}
	to := msg.Header.Get("To")
	if a, err := mail.ParseAddress(to); err == nil {
		m.To = a.Address
	} else if i, j := strings.LastIndexByte(to, '<'), strings.LastIndexByte(to, '>'); i >= 0 && j > i {
		m.To = to[i+1 : j]
	} else {
		m.To = strings.TrimSpace(to)
	}
	m.Subject = msg.Header.Get("Subject")
	if s, err := new(mime.WordDecoder).DecodeHeader(m.Subject); err == nil {
		m.Subject = s
	}
	body, _ := io.ReadAll(msg.Body)
	m.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
	return m
}

// WaitMails polls until at least n mails were captured (MediaWiki may send
// mail after it answered the request) and returns them all; on timeout it
// returns what there is and an error.
func (w *Wiki) WaitMails(n int, timeout time.Duration) ([]Mail, error) {
	deadline := time.Now().Add(timeout)
	for {
		mails, err := w.Mails()
		if err != nil {
			return mails, err
		}
		if len(mails) >= n {
			return mails, nil
		}
		if time.Now().After(deadline) {
			return mails, fmt.Errorf("wikitest: %d mails after %v, want at least %d (in %s)",
				len(mails), timeout, n, filepath.Join(w.Dir, "mail"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
