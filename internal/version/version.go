// Package version reports barge's own version, set at link time by the
// Makefile, or read from the module's build information.
package version

import (
	"runtime"
	"runtime/debug"
)

// version is set with -ldflags "-X github.com/bargehq/barge/internal/version.version=...".
var version = ""

// commit is set with -ldflags "-X github.com/bargehq/barge/internal/version.commit=...".
var commit = ""

// Info describes a barge build.
type Info struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit,omitempty"`
	GoVersion string `json:"goVersion"`
}

// Get returns the build's version information.
func Get() Info {
	v := version
	if v == "" {
		v = "v0.0.0-dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return Info{Version: v, GitCommit: commit, GoVersion: runtime.Version()}
}
