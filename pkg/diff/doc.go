// Package diff compares Kubernetes objects as they are with objects as they
// would become, and formats the result.
//
// It is pure: it talks to no cluster and knows nothing of releases. The
// caller (the release engine) fetches each live object and has the server
// compute the object an apply would produce (a server-side apply dry run),
// then hands both to Compare. Compare leaves out the fields the server owns
// (Normalize), masks the values of Secrets (unless told not to), lists the
// JSON paths that change, and, from the live object's managedFields, the
// fields other field managers set that an apply of the release would keep
// (Foreign). A ChangeSet gathers the changes of one operation; WriteText,
// WriteSummary and WriteJSON print it.
//
// The functions of this package may be called from several goroutines at
// once; a ChangeSet is a plain value, not safe to modify concurrently.
package diff
