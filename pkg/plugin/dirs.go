package plugin

import (
	"path/filepath"
	"runtime"
)

// Homes are Helm's three base directories, as Helm's helmpath package
// resolves them; plugins live in Data/plugins unless $HELM_PLUGINS says
// otherwise.
type Homes struct {
	// Data is Helm's data home ($HELM_DATA_HOME).
	Data string
	// Config is Helm's config home ($HELM_CONFIG_HOME).
	Config string
	// Cache is Helm's cache home ($HELM_CACHE_HOME).
	Cache string
}

// HomesFromEnv resolves Homes through getenv (os.Getenv in a program, a
// map in a test), for each KIND of DATA, CONFIG and CACHE:
// $BARGE_KIND_HOME, else $HELM_KIND_HOME, else $XDG_KIND_HOME/helm, else
// the operating system's default (on Linux $HOME/.local/share/helm,
// $HOME/.config/helm and $HOME/.cache/helm; on macOS under $HOME/Library;
// on Windows under %APPDATA% and %TEMP%). An empty variable counts as
// unset.
func HomesFromEnv(getenv func(string) string) Homes {
	return homesFromEnv(runtime.GOOS, getenv)
}

func homesFromEnv(goos string, getenv func(string) string) Homes {
	return Homes{
		Data:   home(goos, getenv, "DATA"),
		Config: home(goos, getenv, "CONFIG"),
		Cache:  home(goos, getenv, "CACHE"),
	}
}

// home is the home of kind ("DATA", "CONFIG" or "CACHE").
func home(goos string, getenv func(string) string, kind string) string {
	for _, n := range []string{"BARGE_" + kind + "_HOME", "HELM_" + kind + "_HOME"} {
		if v := getenv(n); v != "" {
			return v
		}
	}
	if v := getenv("XDG_" + kind + "_HOME"); v != "" {
		return filepath.Join(v, "helm")
	}
	h := getenv("HOME")
	var base string
	switch goos {
	case "windows":
		base = getenv("APPDATA")
		if kind == "CACHE" {
			base = getenv("TEMP")
		}
	case "darwin", "ios":
		switch kind {
		case "DATA":
			base = filepath.Join(h, "Library")
		case "CONFIG":
			base = filepath.Join(h, "Library", "Preferences")
		default:
			base = filepath.Join(h, "Library", "Caches")
		}
	default:
		switch kind {
		case "DATA":
			base = filepath.Join(h, ".local", "share")
		case "CONFIG":
			base = filepath.Join(h, ".config")
		default:
			base = filepath.Join(h, ".cache")
		}
	}
	return filepath.Join(base, "helm")
}

// DirsFromEnv returns the directories plugins are looked for in, in
// order, as Helm finds them: the list in $BARGE_PLUGINS, else in
// $HELM_PLUGINS (separated by the operating system's path list
// separator, ":" or ";"), else the plugins directory of Helm's data home
// (see HomesFromEnv; on Linux $HOME/.local/share/helm/plugins). The first
// directory is where Install puts new plugins.
func DirsFromEnv(getenv func(string) string) []string {
	for _, n := range []string{"BARGE_PLUGINS", "HELM_PLUGINS"} {
		if v := getenv(n); v != "" {
			var dirs []string
			for _, d := range filepath.SplitList(v) {
				if d != "" {
					dirs = append(dirs, d)
				}
			}
			if len(dirs) > 0 {
				return dirs
			}
		}
	}
	return []string{filepath.Join(HomesFromEnv(getenv).Data, "plugins")}
}
