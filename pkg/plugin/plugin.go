package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

// FileName is the name of the file that describes a plugin, at the top
// of its directory.
const FileName = "plugin.yaml"

// Plugin types, as Helm 4 names them. A plugin in Helm 3's format is
// TypeGetter when it declares downloaders, else TypeCLI.
const (
	TypeCLI          = "cli/v1"
	TypeGetter       = "getter/v1"
	TypePostRenderer = "postrenderer/v1"
)

// RuntimeSubprocess is the only runtime barge runs: the plugin is a
// program started for each use.
const RuntimeSubprocess = "subprocess"

// Hook events, run by Install, Update and Uninstall.
const (
	HookInstall = "install"
	HookUpdate  = "update"
	HookDelete  = "delete"
)

// PlatformCommand is a command for an operating system and an
// architecture (either may be empty, meaning any). Command is split on
// spaces; Args are appended to it.
type PlatformCommand struct {
	OS      string   `json:"os"`
	Arch    string   `json:"arch"`
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

// Downloader is a command that fetches URLs of the Protocols (URL
// schemes) it declares, writing their content to its standard output.
type Downloader struct {
	Protocols []string
	Command   []PlatformCommand
}

// Plugin is an installed plugin, loaded from its plugin.yaml in either of
// Helm's formats.
type Plugin struct {
	// Dir is the plugin's directory, as found in the plugins directory (it
	// may be a symbolic link, as `plugin install PATH` makes).
	Dir string
	// APIVersion is "v1" for Helm 4's format, "" for Helm 3's.
	APIVersion string
	// Name is the plugin's name: its command's name for a CLI plugin.
	Name string
	// Version is the plugin's version.
	Version string
	// Type is one of TypeCLI, TypeGetter and TypePostRenderer.
	Type string
	// Runtime is RuntimeSubprocess, or Helm 4's "extism/v1", which barge
	// loads but does not run.
	Runtime string
	// SourceURL is where the plugin comes from (Helm 4's sourceURL).
	SourceURL string
	// Usage is the one-line help of the plugin's command; Description is
	// its long help.
	Usage, Description string
	// IgnoreFlags drops the arguments given on the command line instead of
	// passing them to the plugin.
	IgnoreFlags bool
	// Command is the plugin's command, for each platform.
	Command []PlatformCommand
	// Hooks are the commands run on HookInstall, HookUpdate and
	// HookDelete.
	Hooks map[string][]PlatformCommand
	// Downloaders are the plugin's downloader commands.
	Downloaders []Downloader

	// expandHooks is false for Helm 3's string hooks, run by sh -c, which
	// expands them itself.
	expandHooks bool
}

// File returns the path of the plugin's plugin.yaml.
func (p *Plugin) File() string { return filepath.Join(p.Dir, FileName) }

// IsCommand reports whether the plugin adds a command: it has a command
// and is a CLI plugin, or is in Helm 3's format (where a plugin may both
// be a command and declare downloaders, as helm-secrets does).
func (p *Plugin) IsCommand() bool {
	return len(p.Command) > 0 && (p.Type == TypeCLI || p.APIVersion == "")
}

// Protocols returns the URL schemes the plugin's downloaders declare.
func (p *Plugin) Protocols() []string {
	var out []string
	for _, d := range p.Downloaders {
		out = append(out, d.Protocols...)
	}
	return out
}

// LoadError is a plugin.yaml that does not load.
type LoadError struct {
	// File is the plugin.yaml at fault.
	File string
	// Err says what is wrong with it.
	Err error
}

// Error names the file and the fault.
func (e *LoadError) Error() string {
	return fmt.Sprintf("plugin %s: %v; fix the file or uninstall the plugin", e.File, e.Err)
}

// Unwrap returns the fault.
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads the plugin in dir. Its errors are *LoadError values naming
// the plugin.yaml.
func Load(dir string) (*Plugin, error) {
	file := filepath.Join(dir, FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &LoadError{File: file, Err: errors.New("no plugin.yaml: this is not a plugin directory")}
		}
		return nil, &LoadError{File: file, Err: err}
	}
	p, err := Parse(data)
	if err != nil {
		return nil, &LoadError{File: file, Err: err}
	}
	p.Dir = dir
	return p, nil
}

// Parse parses the content of a plugin.yaml, in Helm 3's format (no
// apiVersion) or Helm 4's (apiVersion: v1). The result has no Dir.
func Parse(data []byte) (*Plugin, error) {
	var peek struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := yaml.Unmarshal(data, &peek); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	var (
		p   *Plugin
		err error
	)
	switch peek.APIVersion {
	case "":
		p, err = parseLegacy(data)
	case "v1":
		p, err = parseV1(data)
	default:
		return nil, fmt.Errorf("apiVersion %q is not one barge knows: Helm 3's format has none, Helm 4's is v1", peek.APIVersion)
	}
	if err != nil {
		return nil, err
	}
	if !validName.MatchString(p.Name) {
		return nil, fmt.Errorf("name %q is not a valid plugin name: use only a-z, A-Z, 0-9, _ and -", p.Name)
	}
	p.Usage = oneLine(p.Usage)
	return p, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// oneLine turns spaces into blanks and drops unprintable characters, so
// that a usage string cannot mess with a terminal.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsPrint(r):
			return r
		}
		return -1
	}, s)
}

// legacyFile is Helm 3's plugin.yaml.
type legacyFile struct {
	Name            string                       `json:"name"`
	Version         string                       `json:"version"`
	Usage           string                       `json:"usage"`
	Description     string                       `json:"description"`
	Command         string                       `json:"command"`
	PlatformCommand []PlatformCommand            `json:"platformCommand"`
	IgnoreFlags     bool                         `json:"ignoreFlags"`
	Hooks           map[string]string            `json:"hooks"`
	PlatformHooks   map[string][]PlatformCommand `json:"platformHooks"`
	Downloaders     []struct {
		Command   string   `json:"command"`
		Protocols []string `json:"protocols"`
	} `json:"downloaders"`
}

// parseLegacy parses Helm 3's format; unknown fields are ignored, as
// Helm 4 ignores them (Helm 3 refuses them).
func parseLegacy(data []byte) (*Plugin, error) {
	var f legacyFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	p := &Plugin{
		Name:        f.Name,
		Version:     f.Version,
		Type:        TypeCLI,
		Runtime:     RuntimeSubprocess,
		Usage:       f.Usage,
		Description: f.Description,
		IgnoreFlags: f.IgnoreFlags,
		Command:     f.PlatformCommand,
		Hooks:       f.PlatformHooks,
		expandHooks: true,
	}
	if len(p.Command) == 0 && f.Command != "" {
		p.Command = []PlatformCommand{{Command: f.Command}}
	}
	if len(p.Hooks) == 0 && len(f.Hooks) > 0 {
		p.Hooks = map[string][]PlatformCommand{}
		for ev, cmd := range f.Hooks {
			p.Hooks[ev] = []PlatformCommand{{Command: "sh", Args: []string{"-c", cmd}}}
		}
		p.expandHooks = false
	}
	for _, d := range f.Downloaders {
		p.Downloaders = append(p.Downloaders, Downloader{Protocols: d.Protocols, Command: []PlatformCommand{{Command: d.Command}}})
	}
	if len(p.Downloaders) > 0 {
		p.Type = TypeGetter
	}
	return p, nil
}

// v1File is Helm 4's plugin.yaml, apiVersion v1.
type v1File struct {
	APIVersion    string          `json:"apiVersion"`
	Name          string          `json:"name"`
	Type          string          `json:"type"`
	Runtime       string          `json:"runtime"`
	Version       string          `json:"version"`
	SourceURL     string          `json:"sourceURL"`
	Config        json.RawMessage `json:"config"`
	RuntimeConfig json.RawMessage `json:"runtimeConfig"`
}

// v1CLI is the config of a cli/v1 plugin.
type v1CLI struct {
	Usage       string `json:"usage"`
	ShortHelp   string `json:"shortHelp"`
	LongHelp    string `json:"longHelp"`
	IgnoreFlags bool   `json:"ignoreFlags"`
}

// v1Getter is the config of a getter/v1 plugin.
type v1Getter struct {
	Protocols []string `json:"protocols"`
}

// v1Subprocess is the runtimeConfig of a subprocess plugin.
type v1Subprocess struct {
	PlatformCommand  []PlatformCommand            `json:"platformCommand"`
	PlatformHooks    map[string][]PlatformCommand `json:"platformHooks"`
	ProtocolCommands []struct {
		Protocols       []string          `json:"protocols"`
		PlatformCommand []PlatformCommand `json:"platformCommand"`
	} `json:"protocolCommands"`
}

// parseV1 parses Helm 4's format, refusing unknown fields as Helm 4 does.
func parseV1(data []byte) (*Plugin, error) {
	var f v1File
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, err
	}
	if f.Version == "" {
		return nil, errors.New("version is required (apiVersion v1)")
	}
	if _, err := semver.StrictNewVersion(f.Version); err != nil {
		return nil, fmt.Errorf("version %q is not a semantic version (apiVersion v1): %w", f.Version, err)
	}
	if f.Runtime == "" {
		return nil, errors.New("runtime is missing: use subprocess")
	}
	p := &Plugin{
		APIVersion:  f.APIVersion,
		Name:        f.Name,
		Version:     f.Version,
		Type:        f.Type,
		Runtime:     f.Runtime,
		SourceURL:   f.SourceURL,
		expandHooks: true,
	}
	strict := func(raw json.RawMessage, v any, field string) error {
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.DisallowUnknownFields()
		if err := d.Decode(v); err != nil {
			return fmt.Errorf("%s of a %s plugin: %w", field, f.Type, err)
		}
		return nil
	}
	var protocols []string
	switch f.Type {
	case TypeCLI:
		var c v1CLI
		if err := strict(f.Config, &c, "config"); err != nil {
			return nil, err
		}
		p.Usage, p.Description, p.IgnoreFlags = c.ShortHelp, c.LongHelp, c.IgnoreFlags
		if p.Usage == "" {
			p.Usage = c.Usage
		}
	case TypeGetter:
		var c v1Getter
		if err := strict(f.Config, &c, "config"); err != nil {
			return nil, err
		}
		protocols = c.Protocols
	case TypePostRenderer:
		var c struct{}
		if err := strict(f.Config, &c, "config"); err != nil {
			return nil, err
		}
	case "":
		return nil, errors.New("type is missing: use cli/v1, getter/v1 or postrenderer/v1")
	default:
		return nil, fmt.Errorf("type %q is not one barge knows: use cli/v1, getter/v1 or postrenderer/v1", f.Type)
	}
	if f.Runtime != RuntimeSubprocess {
		// Loaded, listed, but not run (see Plugin.Runtime).
		return p, nil
	}
	var rc v1Subprocess
	if err := strict(f.RuntimeConfig, &rc, "runtimeConfig"); err != nil {
		return nil, err
	}
	p.Command, p.Hooks = rc.PlatformCommand, rc.PlatformHooks
	for _, pc := range rc.ProtocolCommands {
		p.Downloaders = append(p.Downloaders, Downloader{Protocols: pc.Protocols, Command: pc.PlatformCommand})
	}
	if f.Type == TypeGetter {
		for _, proto := range protocols {
			if !slices.ContainsFunc(p.Downloaders, func(d Downloader) bool { return slices.Contains(d.Protocols, proto) }) {
				return nil, fmt.Errorf("protocol %q is in config.protocols but no runtimeConfig.protocolCommands entry runs it", proto)
			}
		}
	}
	return p, nil
}
