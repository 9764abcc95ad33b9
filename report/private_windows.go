//go:build windows

package report

import (
	"fmt"
	"os"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// OpenPrivate opens path with flag and lets only the current user in: an
// access control list of its own, not inherited from the folder. A file
// it created and cannot make private is removed.
func OpenPrivate(path string, flag int) (*os.File, error) {
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		return nil, err
	}
	if err := MakePrivate(path); err != nil {
		f.Close()
		if os.IsNotExist(statErr) {
			os.Remove(path)
		}
		return nil, fmt.Errorf("cannot make %s readable by you alone: %w", path, err)
	}
	return f, nil
}

// MakePrivate gives path an access control list that lets in the current
// user alone, protected from the folder's.
func MakePrivate(path string) error {
	user, err := currentUser()
	if err != nil {
		return err
	}
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_ALL,
		AccessMode:        windows.GRANT_ACCESS,
		Inheritance:       windows.NO_INHERITANCE,
		Trustee: windows.TRUSTEE{TrusteeForm: windows.TRUSTEE_IS_SID, TrusteeType: windows.TRUSTEE_IS_USER,
			TrusteeValue: windows.TrusteeValueFromSID(user)},
	}}, nil)
	if err != nil {
		return err
	}
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		return err
	}
	if err := sd.SetDACL(acl, true, false); err != nil {
		return err
	}
	if err := sd.SetControl(windows.SE_DACL_PROTECTED, windows.SE_DACL_PROTECTED); err != nil {
		return err
	}
	// The whole descriptor, on a handle: SetSecurityInfo and
	// SetNamedSecurityInfo merge the folder's inheritable entries in under
	// Wine, even into a list marked protected.
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(name, windows.WRITE_DAC|windows.READ_CONTROL,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	return windows.SetKernelObjectSecurity(h, windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, sd)
}

// currentUser is the account this process runs as.
func currentUser() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return tu.User.Sid.Copy()
}

// readAccess is any access that lets one read a file's contents.
const readAccess = windows.FILE_READ_DATA | windows.GENERIC_READ | windows.GENERIC_ALL

// Readers says who besides the current user may read path, from its
// access control list ("" when nobody but the system and the
// administrators), and how to change it.
func Readers(path string) (who, fix string, err error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "", "", err
	}
	fix = fmt.Sprintf(`in PowerShell: icacls "%s" /inheritance:r /grant:r "$($env:USERNAME):(R)"; or delete it and save the password again with mwprovision save-password`, path)
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		// No list at all lets everyone in.
		return "everyone (the file has no access control list)", fix, nil
	}
	user, err := currentUser()
	if err != nil {
		return "", "", err
	}
	var others []string
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return "", "", err
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || uint32(ace.Mask)&readAccess == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if sid.Equals(user) || trustedSID(sid) {
			continue
		}
		others = append(others, accountName(sid))
	}
	if len(others) == 0 {
		return "", "", nil
	}
	return strings.Join(others, ", "), fix, nil
}

// trustedSID reports the accounts that may read any file anyway: the
// system, the administrators, and the file's owner by its roles.
func trustedSID(sid *windows.SID) bool {
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid,
		windows.WinCreatorOwnerSid, windows.WinCreatorOwnerRightsSid} {
		if sid.IsWellKnown(t) {
			return true
		}
	}
	return false
}

// accountName names an account as Windows shows it, or by its SID.
func accountName(sid *windows.SID) string {
	if name, domain, _, err := sid.LookupAccount(""); err == nil && name != "" {
		if domain != "" {
			return domain + `\` + name
		}
		return name
	}
	return sid.String()
}
