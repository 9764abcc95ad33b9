package wikitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Release is a MediaWiki release the harness runs: Debian bookworm's 1.39
// on this system, or Debian trixie's 1.43 LTS (PHP 8.4) in the chroot that
// wikitest/trixie.sh builds. A wiki of a chroot's release lives under
// ROOT/tmp, so that its directory has a path on this system (Wiki.Dir) and
// the same path without ROOT inside, where php runs.
type Release struct {
	Name string // "1.39", "1.43"
	Root string // "" on this system, else the chroot that holds it
}

// EnvMediaWiki names the release that wikis get when Options.MediaWiki is
// empty: "1.39" (the default) or "1.43".
const EnvMediaWiki = "MWPROVISION_TEST_MEDIAWIKI"

// trixieRoot is where wikitest/trixie.sh builds its chroot.
func trixieRoot() string {
	if r := os.Getenv("MWPROVISION_TRIXIE"); r != "" {
		return r
	}
	return "/var/lib/mwprovision/trixie"
}

// ReleaseNamed returns the release called name; "" is the default (see
// EnvMediaWiki).
func ReleaseNamed(name string) (Release, error) {
	if name == "" {
		name = os.Getenv(EnvMediaWiki)
	}
	switch name {
	case "", "1.39":
		return Release{Name: "1.39"}, nil
	case "1.43":
		return Release{Name: "1.43", Root: filepath.Clean(trixieRoot())}, nil
	}
	return Release{}, fmt.Errorf("wikitest: no MediaWiki %q to run: choose 1.39 or 1.43 (%s)", name, EnvMediaWiki)
}

func (r Release) String() string { return "MediaWiki " + r.Name }

// inside is the path that php, where it runs, sees for a path of this
// system. A path outside the chroot is returned as it is, which php does
// not see: a wiki's files are all in its directory (see holds).
func (r Release) inside(path string) string {
	if r.Root == "" {
		return path
	}
	if rest, ok := strings.CutPrefix(path, r.Root); ok && strings.HasPrefix(rest, "/") {
		return rest
	}
	return path
}

// holds reports whether dir is a place for a wiki of this release.
func (r Release) holds(dir string) error {
	if r.Root == "" {
		return nil
	}
	if rel, err := filepath.Rel(r.Root, dir); err != nil || !strings.HasPrefix(rel, "tmp"+string(filepath.Separator)) || strings.Contains(rel, "..") {
		return fmt.Errorf("wikitest: a wiki of %s must live under %s/tmp, where its php runs; %s is not", r, r.Root, dir)
	}
	return nil
}

// tempDir makes a directory for a test's wiki, removed when the test ends.
func (r Release) tempDir(t testing.TB) (string, error) {
	if r.Root == "" {
		return t.TempDir(), nil
	}
	dir, err := os.MkdirTemp(filepath.Join(r.Root, "tmp"), "wikitest-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir, nil
}

// command is php with args, run where the release is, with MW_CONFIG_FILE
// set to settings (a path of this system; none when "") and the extra
// environment variables. On this system php gets our environment but
// those two; in a chroot only what php needs (this system's TMPDIR and the
// like mean nothing inside).
func (r Release) command(ctx context.Context, settings string, args []string, extra ...string) *exec.Cmd {
	var cmd *exec.Cmd
	var env []string
	if r.Root == "" {
		cmd = exec.CommandContext(ctx, "php", args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "MW_CONFIG_FILE=") && !strings.HasPrefix(kv, "PHP_CLI_SERVER_WORKERS=") {
				env = append(env, kv)
			}
		}
	} else {
		cmd = exec.CommandContext(ctx, chrootProgram(), append([]string{r.Root, "php"}, args...)...)
		env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	}
	if settings != "" {
		env = append(env, "MW_CONFIG_FILE="+r.inside(settings))
	}
	cmd.Env = append(env, extra...)
	return cmd
}

func chrootProgram() string {
	if p, err := exec.LookPath("chroot"); err == nil {
		return p
	}
	return "/usr/sbin/chroot"
}

var checked sync.Map // release name -> error (or nil)

// Check reports whether the release can run: php with the modules
// MediaWiki needs and MediaWiki itself, with an error that says how to
// fix it.
func (r Release) Check() error {
	if err, ok := checked.Load(r.Name); ok {
		e, _ := err.(error)
		return e
	}
	err := r.preflight()
	checked.Store(r.Name, err)
	return err
}

const fixHint = "run `make wiki-deps` (as root: wikitest/install-deps.sh)"

func (r Release) fixHint() string {
	if r.Root == "" {
		return fixHint
	}
	return "run `bash wikitest/trixie.sh ensure` as root (make test does)"
}

func (r Release) preflight() error {
	installer := filepath.Join(r.Root, MediaWikiDir, "maintenance", "install.php")
	if _, err := os.Stat(installer); err != nil {
		return fmt.Errorf("%s is not installed at %s (%v): %s", r, filepath.Dir(filepath.Dir(installer)), err, r.fixHint())
	}
	if r.Root == "" {
		if _, err := exec.LookPath("php"); err != nil {
			return fmt.Errorf("php is not installed (no php in PATH): %s", fixHint)
		}
	} else if os.Geteuid() != 0 {
		return fmt.Errorf("%s runs in the chroot %s: that needs root", r, r.Root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := r.command(ctx, "", []string{"-m"}).Output()
	if err != nil {
		return fmt.Errorf("php -m for %s failed: %v: %s", r, err, r.fixHint())
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		have[strings.ToLower(strings.TrimSpace(l))] = true
	}
	var missing []string
	for _, m := range []string{"sqlite3", "pdo_sqlite", "intl", "mbstring", "xml"} {
		if !have[m] {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("php modules missing for %s: %s: %s", r, strings.Join(missing, ", "), r.fixHint())
	}
	return nil
}

// Version asks the running wiki for its version (siteinfo's generator,
// e.g. "MediaWiki 1.43.9").
func (w *Wiki) Version() (string, error) {
	mw, _, err := w.Versions()
	if err != nil {
		return "", err
	}
	return "MediaWiki " + mw, nil
}

// Versions asks the running wiki for its MediaWiki and PHP versions, as
// siteinfo says them ("1.43.9", "8.4.27").
func (w *Wiki) Versions() (mediaWiki, php string, err error) {
	var r struct {
		Query struct {
			General struct {
				Generator  string `json:"generator"`
				PHPVersion string `json:"phpversion"`
			} `json:"general"`
		} `json:"query"`
	}
	if err := w.Anonymous().Get(params("action", "query", "meta", "siteinfo"), &r); err != nil {
		return "", "", err
	}
	g := r.Query.General
	mw, ok := strings.CutPrefix(g.Generator, "MediaWiki ")
	if !ok || g.PHPVersion == "" {
		return "", "", fmt.Errorf("siteinfo names no MediaWiki and PHP versions: %q, %q", g.Generator, g.PHPVersion)
	}
	return mw, g.PHPVersion, nil
}

// PathForPHP is the path under which the wiki's php sees path, a file of
// this system in the wiki's directory: for settings that name a file
// (AppendSettings). Outside DIR a chroot's php sees nothing of this system.
func (w *Wiki) PathForPHP(path string) string { return w.Release.inside(path) }
