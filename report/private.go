package report

// The files mwprovision writes hold the participants' names, and a secret
// file holds a bot password: they are for the user alone. What that means
// depends on the system:
//
//   - Unix (Linux, macOS): mode 0600, so other users cannot read them.
//   - Windows, where mode bits mean nothing: an access control list that
//     lets in the user alone, not inherited from the folder (the system
//     and the administrators can read any file there anyway).
//
// OpenPrivate creates such a file, MakePrivate makes an existing one so,
// and Readers says who else may read a file.
