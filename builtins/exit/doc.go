// Package exit holds the builtins that end a script on purpose:
//
//	fail(*args, sep=" ")  stop with exit status 1; the arguments, joined
//	                      by sep, are the message printed for the user
//	exit(code=0)          stop with the given exit status, no message
//
// Both return an *Error that the runner maps to the process exit status,
// which is how a CI check signals failure. It must not know how scripts are
// loaded or what they consume.
package exit
