package wikitest

import (
	"fmt"
	"strings"
)

// Extensions and pages on a test wiki: the anti-abuse and login
// extensions bundled with MediaWiki, set up as a wiki's administrators do.

// LoadExtensions loads bundled extensions on an installed wiki and creates
// their tables (update.php): an extension that hooks account creation
// cannot be in the settings at install time, before its tables exist.
func (w *Wiki) LoadExtensions(names ...string) error {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = phpString(n)
	}
	if err := w.AppendSettings("wfLoadExtensions( [ " + strings.Join(quoted, ", ") + " ] );"); err != nil {
		return err
	}
	_, _, err := w.maintenance(false, "", "update", "--quick")
	return err
}

// AskCaptcha makes the wiki ask for a CAPTCHA (ConfirmEdit's
// QuestyCaptcha) on account creation whenever the PHP expression when is
// true ("true": always), except of creators with skipcaptcha (sysops,
// bots). ConfirmEdit needs no tables: this takes effect at the next request.
func (w *Wiki) AskCaptcha(when string) error {
	return w.AppendSettings(`wfLoadExtensions( [ 'ConfirmEdit', 'ConfirmEdit/QuestyCaptcha' ] );
$wgCaptchaClass = 'QuestyCaptcha';
$wgCaptchaQuestions = [ 'What is the name of this wiki?' => ` + phpString(Sitename) + ` ];
$wgCaptchaTriggers['createaccount'] = ` + when + `;`)
}

// EnableTwoFactor gives user a TOTP key with OATHAuth (LoadExtensions
// "OATHAuth" first), as if they had enabled two-factor authentication on
// Special:OATHManage. OATHAuth changed its API between the releases: 1.43
// creates keys through the repository, 1.39 persists the user's key set.
// (eval.php runs each line by itself: a statement must not span lines.)
func (w *Wiki) EnableTwoFactor(user string) error {
	code := fmt.Sprintf(`$services = MediaWiki\MediaWikiServices::getInstance();
$repo = $services->getService( 'OATHUserRepository' );
$ou = $repo->findByUser( $services->getUserFactory()->newFromName( %s ) );
$key = \MediaWiki\Extension\OATHAuth\Key\TOTPKey::newFromRandom();
$v143 = method_exists( $repo, 'createKey' );
if ( $v143 ) { $repo->createKey( $ou, $services->getService( 'OATHAuthModuleRegistry' )->getModuleByKey( 'totp' ), $key->jsonSerialize(), '127.0.0.1' ); }
if ( !$v143 ) { $ou->setModule( $services->getService( 'OATHAuth' )->getModuleByKey( 'totp' ) ); $ou->addKey( $key ); $repo->persist( $ou, '127.0.0.1' ); }
echo "two-factor on\n";`, phpString(user))
	return w.evalExpect(fmt.Sprintf("EnableTwoFactor %s", user), code, "two-factor on")
}

// AddAbuseFilter saves an enabled AbuseFilter filter that disallows what
// rules match (LoadExtensions "AbuseFilter" first), as Admin would on
// Special:AbuseFilter, through the extension's own FilterStore.
func (w *Wiki) AddAbuseFilter(name, rules string) error {
	code := fmt.Sprintf(`$admin = MediaWiki\MediaWikiServices::getInstance()->getUserFactory()->newFromName( %s );
$f = MediaWiki\Extension\AbuseFilter\Filter\MutableFilter::newDefault();
$f->setName( %s );
$f->setRules( %s );
$f->setEnabled( true );
$f->setGroup( 'default' );
$f->setActions( [ 'disallow' => [] ] );
$st = MediaWiki\Extension\AbuseFilter\AbuseFilterServices::getFilterStore()->saveFilter( $admin, null, $f, MediaWiki\Extension\AbuseFilter\Filter\MutableFilter::newDefault() );
echo $st->isGood() ? "filter saved\n" : "not saved: " . $st->getWikiText( false, false, 'en' ) . "\n";`,
		phpString(AdminUser), phpString(name), phpString(rules))
	return w.evalExpect(fmt.Sprintf("AddAbuseFilter %q", name), code, "filter saved")
}

// EditPage saves text as the page title, as Admin (logged in with its main
// password, which may edit the interface: MediaWiki:Titleblacklist, say).
func (w *Wiki) EditPage(title, text string) error {
	s, err := w.Login(AdminUser, w.AdminPassword)
	if err != nil {
		return err
	}
	tok, err := s.Token("csrf")
	if err != nil {
		return err
	}
	var r struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	if err := s.Post(params("action", "edit", "title", title, "text", text, "summary", "wikitest", "token", tok), &r); err != nil {
		return err
	}
	if r.Edit.Result != "Success" {
		return fmt.Errorf("wikitest: edit %s: %q", title, r.Edit.Result)
	}
	return nil
}
