// Package profile finds, loads and merges profiles: Starlark files whose
// top level declares what to collect (see package profiles for the
// built-in ones).
//
// A profile is named by its file name without ".star". Names are looked up
// in the embedded set, then in directories of increasing precedence
// (DefaultDirs: /etc/retis/profiles, $HOME/.config/retis/profiles, then
// the -P directories), so a user's profile replaces a built-in one of the
// same name. A value holding a '/' or ending in ".star" is a path.
//
// Resolve loads profiles against a kernel's facts and merges what they
// declare, as `retis -p a,b collect` does; it is the whole of what the
// collect command needs from here. This package must not know how a
// collection runs.
package profile
