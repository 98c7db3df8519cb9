// Package plugin finds, loads, runs and installs Helm plugins, so that a
// plugin installed with `helm plugin install` works with barge and one
// installed with barge works with Helm.
//
// It reads plugin.yaml in both of Helm's formats: Helm 3's (name, version,
// usage, description, command or platformCommand, hooks or platformHooks,
// downloaders, ignoreFlags) and Helm 4's apiVersion v1 (type cli/v1,
// getter/v1 or postrenderer/v1, runtime subprocess, config and
// runtimeConfig). Both become one Plugin value. Plugins are looked for
// where Helm keeps them (DirsFromEnv); a plugin whose plugin.yaml does not
// load is reported by FindAll with its file, and the others still load.
//
// A Plugin runs as a subprocess with the environment Helm gives plugins
// (Environ), its command and arguments expanded against that environment
// as Helm expands them (Command). Download runs a downloader plugin for a
// URL of one of its protocols, with Helm's arguments, and bounds what it
// reads from the plugin's standard output. Install, Update and Uninstall
// manage the plugins directory: a local directory is symlinked, a .tgz
// archive is fetched through a function the caller gives and unpacked
// with every entry checked, a git repository is cloned with the git
// command.
//
// The package does not speak HTTP itself (the caller's Fetch does), does
// not run Helm 4's WebAssembly (extism/v1) plugins, and knows nothing of
// cobra or barge's commands. It holds no global state; a Plugin is not
// changed once loaded and may be used by several goroutines at once.
package plugin
