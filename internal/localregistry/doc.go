// Package localregistry starts a real OCI registry on loopback, the CNCF
// distribution registry (github.com/distribution/distribution/v3) that
// hack/tools/build.sh builds into .cache/bin, for barge's OCI tests and
// benchmarks: plain HTTP by default, with htpasswd basic authentication
// (bcrypt) and with TLS (a certificate authority and a server certificate
// made for each run) on request.
//
// Each registry runs on a free port with its own storage directory. The
// child process dies with the process that started it (Linux parent-death
// signal), so a test binary that panics or is killed leaves nothing running.
//
// It is not a fake: the registry checks what it is sent as it would in
// production. Tests that need a registry to misbehave (a blob whose bytes no
// longer match its digest) change the files under StorageDir.
package localregistry
