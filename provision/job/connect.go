package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/mwprovision/mwprovision/provision"
)

// Connect logs in as the creator of o and learns what it may do on the
// wiki — before any sheet is read: the console's first step, and check's.
// It asks for the groups the creator may add (and refuses one of
// o.AddGroups it may not add), and requires the wiki to mail passwords
// when o.MailPassword.
func Connect(ctx context.Context, o Options, deps provision.Deps) (*provision.Creator, error) {
	eng := provision.New(provision.Config{
		API: o.API, User: o.User, Password: o.Password, OAuthToken: o.OAuthToken, UserAgent: o.UserAgent,
		RequestTimeout: o.RequestTimeout, Workers: 1, Groups: true, AddGroups: o.AddGroups, MailPassword: o.MailPassword,
	}, deps)
	return eng.Preflight(ctx)
}

// editURI is the link every MediaWiki page carries to its API.
var editURI = regexp.MustCompile(`<link\s+rel="EditURI"[^>]*\shref="([^"]+)"`)

// maxPage bounds what FindAPI reads of a page.
const maxPage = 2 << 20

// FindAPI turns the address of any page of a wiki into its api.php URL:
// an address that names api.php is kept; otherwise the page is fetched
// and its EditURI link (…/api.php?action=rsd) followed. Only http and
// https addresses are taken.
func FindAPI(ctx context.Context, hc *http.Client, address, userAgent string, timeout time.Duration) (string, error) {
	address = strings.TrimSpace(address)
	if !strings.Contains(address, "://") {
		address = "https://" + address
	}
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not the address of a wiki: give its api.php URL, such as https://xx.wikipedia.org/w/api.php", address)
	}
	if strings.HasSuffix(u.Path, "/api.php") {
		u.RawQuery, u.Fragment = "", ""
		return u.String(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot reach %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s answered %s: give the address of one of the wiki's pages, or its api.php URL", u, resp.Status)
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPage))
	if err != nil {
		return "", fmt.Errorf("cannot read %s: %w", u, err)
	}
	m := editURI.FindSubmatch(page)
	if m == nil {
		return "", errors.New("the page at " + u.String() + " names no API (no EditURI link): is it a MediaWiki wiki? Give its api.php URL")
	}
	api, err := resp.Request.URL.Parse(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	if err != nil || !strings.HasSuffix(api.Path, "/api.php") {
		return "", errors.New("the page at " + u.String() + " names its API oddly: give its api.php URL")
	}
	api.RawQuery, api.Fragment = "", ""
	return api.String(), nil
}
