package repo

import (
	"path/filepath"
	"runtime"
)

// Paths locates the repository files barge shares with Helm: the
// repositories.yaml that lists the configured repositories, and the
// repository cache directory that holds each repository's downloaded
// index.yaml.
type Paths struct {
	// Config is the path of repositories.yaml.
	Config string
	// Cache is the repository cache directory, where Helm keeps
	// <name>-index.yaml and <name>-charts.txt.
	Cache string
}

// PathsFromEnv resolves Paths exactly as Helm resolves its
// --repository-config and --repository-cache defaults, reading the
// environment through getenv (os.Getenv in a program, a map in a test):
//
//  1. BARGE_REPOSITORY_CONFIG or HELM_REPOSITORY_CONFIG names the file,
//     BARGE_REPOSITORY_CACHE or HELM_REPOSITORY_CACHE the directory;
//  2. otherwise BARGE_CONFIG_HOME or HELM_CONFIG_HOME (BARGE_CACHE_HOME or
//     HELM_CACHE_HOME) is the base, holding repositories.yaml (repository/);
//  3. otherwise XDG_CONFIG_HOME (XDG_CACHE_HOME) joined with "helm";
//  4. otherwise the operating system's default: on Linux and other Unix
//     systems $HOME/.config/helm/repositories.yaml and
//     $HOME/.cache/helm/repository, on macOS
//     $HOME/Library/Preferences/helm/repositories.yaml and
//     $HOME/Library/Caches/helm/repository, on Windows
//     %APPDATA%\helm\repositories.yaml and %TEMP%\helm\repository.
//
// Each BARGE_* variable wins over its HELM_* twin. An empty variable counts
// as unset (Helm treats a set but empty HELM_REPOSITORY_CONFIG as the empty
// path, which is never what a user means).
func PathsFromEnv(getenv func(string) string) Paths {
	return pathsFromEnv(runtime.GOOS, getenv)
}

// pathsFromEnv is PathsFromEnv for the operating system goos.
func pathsFromEnv(goos string, getenv func(string) string) Paths {
	env := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	cfg := env("BARGE_REPOSITORY_CONFIG", "HELM_REPOSITORY_CONFIG")
	if cfg == "" {
		cfg = filepath.Join(helmHome(goos, env, "CONFIG"), "repositories.yaml")
	}
	cache := env("BARGE_REPOSITORY_CACHE", "HELM_REPOSITORY_CACHE")
	if cache == "" {
		cache = filepath.Join(helmHome(goos, env, "CACHE"), "repository")
	}
	return Paths{Config: cfg, Cache: cache}
}

// RegistryConfigFromEnv returns the path of the OCI registry credentials
// file (a Docker config.json) as Helm resolves --registry-config, reading
// the environment through getenv: BARGE_REGISTRY_CONFIG or
// HELM_REGISTRY_CONFIG, else registry/config.json in Helm's config home,
// found as PathsFromEnv finds the home of repositories.yaml (on Linux
// $HOME/.config/helm/registry/config.json). An empty variable counts as
// unset.
func RegistryConfigFromEnv(getenv func(string) string) string {
	return registryConfigFromEnv(runtime.GOOS, getenv)
}

// registryConfigFromEnv is RegistryConfigFromEnv for the operating system
// goos.
func registryConfigFromEnv(goos string, getenv func(string) string) string {
	env := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	if v := env("BARGE_REGISTRY_CONFIG", "HELM_REGISTRY_CONFIG"); v != "" {
		return v
	}
	return filepath.Join(helmHome(goos, env, "CONFIG"), "registry", "config.json")
}

// helmHome is Helm's config or cache home (kind "CONFIG" or "CACHE"): see
// helm.sh/helm/v3/pkg/helmpath for the rules this follows.
func helmHome(goos string, env func(...string) string, kind string) string {
	if v := env("BARGE_"+kind+"_HOME", "HELM_"+kind+"_HOME"); v != "" {
		return v
	}
	if v := env("XDG_" + kind + "_HOME"); v != "" {
		return filepath.Join(v, "helm")
	}
	var base string
	switch goos {
	case "windows":
		if kind == "CONFIG" {
			base = env("APPDATA")
		} else {
			base = env("TEMP")
		}
	case "darwin", "ios":
		if kind == "CONFIG" {
			base = filepath.Join(env("HOME"), "Library", "Preferences")
		} else {
			base = filepath.Join(env("HOME"), "Library", "Caches")
		}
	default:
		if kind == "CONFIG" {
			base = filepath.Join(env("HOME"), ".config")
		} else {
			base = filepath.Join(env("HOME"), ".cache")
		}
	}
	return filepath.Join(base, "helm")
}

// IndexFile is the path of the cached index.yaml of the repository called
// name, as Helm names it: <cache>/<name>-index.yaml.
func (p Paths) IndexFile(name string) string {
	return filepath.Join(p.Cache, name+"-index.yaml")
}

// ChartsFile is the path of the list of chart names of the repository called
// name, as Helm names it: <cache>/<name>-charts.txt.
func (p Paths) ChartsFile(name string) string {
	return filepath.Join(p.Cache, name+"-charts.txt")
}

// CompactFile is the path of barge's compact form of the cached index of the
// repository called name: <cache>/<name>-index.barge.
func (p Paths) CompactFile(name string) string {
	return filepath.Join(p.Cache, name+"-index.barge")
}

// ArchiveDir is the directory of barge's cache of downloaded chart archives,
// stored by digest: <cache>/barge/charts.
func (p Paths) ArchiveDir() string {
	return filepath.Join(p.Cache, "barge", "charts")
}

// URLIndexDir is the directory where barge caches the indexes of
// repositories named by URL only (--repo URL): <cache>/barge/repos.
func (p Paths) URLIndexDir() string {
	return filepath.Join(p.Cache, "barge", "repos")
}
