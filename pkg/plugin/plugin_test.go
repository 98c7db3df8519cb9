package plugin

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		dir                                 string
		name, version, typ, api, usage, src string
		ignoreFlags, command                bool
		protocols                           []string
		hooks                               []string
	}{
		{dir: "helm3-cli", name: "echo3", version: "0.1.0", typ: TypeCLI, usage: "print its arguments", command: true, hooks: []string{HookInstall}},
		{dir: "helm4-cli", name: "echo4", version: "1.2.3", typ: TypeCLI, api: "v1", usage: "print its arguments", src: "https://example.com/echo4", ignoreFlags: true, command: true, hooks: []string{HookInstall}},
		{dir: "helm4-getter", name: "getter4", version: "0.2.0", typ: TypeGetter, api: "v1", protocols: []string{"s3", "gs"}},
		{dir: "secrets", name: "secrets", version: "4.5.1", typ: TypeGetter, usage: "Secrets encryption in Helm for Git storing", command: true,
			protocols: []string{"secrets", "secrets+gpg-import", "secrets+gpg-import-kubernetes", "secrets+age-import", "secrets+age-import-kubernetes", "secrets+literal"}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			p, err := Load(filepath.Join("testdata", "plugins", tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			var hooks []string
			for ev := range p.Hooks {
				hooks = append(hooks, ev)
			}
			got := []any{p.Name, p.Version, p.Type, p.APIVersion, p.Usage, p.SourceURL, p.IgnoreFlags, p.IsCommand(), p.Protocols(), hooks, p.Runtime}
			want := []any{tt.name, tt.version, tt.typ, tt.api, tt.usage, tt.src, tt.ignoreFlags, tt.command, tt.protocols, tt.hooks, RuntimeSubprocess}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"bad name", "name: a/b\nversion: 1.0.0\n", `name "a/b" is not a valid plugin name`},
		{"unknown apiVersion", "apiVersion: v2\nname: x\n", `apiVersion "v2" is not one barge knows`},
		{"v1 without version", "apiVersion: v1\nname: x\ntype: cli/v1\nruntime: subprocess\n", "version is required"},
		{"v1 bad version", "apiVersion: v1\nname: x\ntype: cli/v1\nruntime: subprocess\nversion: one\n", `version "one" is not a semantic version`},
		{"v1 unknown type", "apiVersion: v1\nname: x\ntype: cli/v9\nruntime: subprocess\nversion: 1.0.0\n", `type "cli/v9" is not one barge knows`},
		{"v1 unknown field", "apiVersion: v1\nname: x\ntype: cli/v1\nruntime: subprocess\nversion: 1.0.0\ncommand: x\n", `unknown field "command"`},
		{"v1 unknown config field", "apiVersion: v1\nname: x\ntype: getter/v1\nruntime: subprocess\nversion: 1.0.0\nconfig: {schemes: [a]}\n", `config of a getter/v1 plugin`},
		{"v1 protocol without command", "apiVersion: v1\nname: x\ntype: getter/v1\nruntime: subprocess\nversion: 1.0.0\nconfig: {protocols: [a]}\n", `protocol "a" is in config.protocols but no runtimeConfig.protocolCommands entry runs it`},
		{"not yaml", "name: [\n", "not YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFindAll(t *testing.T) {
	dirs := []string{filepath.Join("testdata", "plugins"), filepath.Join("testdata", "plugins2"), filepath.Join("testdata", "missing")}
	plugins, err := FindAll(dirs)
	var names []string
	for _, p := range plugins {
		names = append(names, p.Name)
	}
	if d := cmp.Diff([]string{"echo3", "echo4", "getter4", "secrets"}, names); d != "" {
		t.Fatalf("plugins (-want +got):\n%s", d)
	}
	if err == nil {
		t.Fatal("no error for the bad plugins")
	}
	msg := err.Error()
	for _, want := range []string{
		"plugin " + filepath.Join("testdata", "plugins", "bad", "plugin.yaml") + `: name "bad name with spaces" is not a valid plugin name`,
		"plugin " + filepath.Join("testdata", "plugins", "helm4-bad-type", "plugin.yaml") + `: type "cli/v2"`,
		`two plugins claim the name "echo3", at ` + filepath.Join("testdata", "plugins", "helm3-cli") + " and " + filepath.Join("testdata", "plugins2", "dup"),
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	var le *LoadError
	var de *DuplicateError
	if !errors.As(err, &le) || !errors.As(err, &de) {
		t.Fatalf("error %v is not a LoadError and a DuplicateError", err)
	}
	if p := ByProtocol(plugins)["secrets+gpg-import"]; p == nil || p.Name != "secrets" {
		t.Fatalf("secrets+gpg-import is served by %v", p)
	}
	if p := ByProtocol(plugins)["gs"]; p == nil || p.Name != "getter4" {
		t.Fatalf("gs is served by %v", p)
	}
}

func TestCommandLine(t *testing.T) {
	load := func(dir string) *Plugin {
		p, err := Load(filepath.Join("testdata", "plugins", dir))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		p        *Plugin
		args     []string
		wantMain string
		wantArgs []string
	}{
		{"helm 3 command, extra args appended unexpanded", load("helm3-cli"), []string{"a", "$HOME", "--flag"},
			"/plugins/echo3/run.sh", []string{"--from=echo3", "a", "$HOME", "--flag"}},
		{"helm 4 platformCommand and args expanded, flags ignored", load("helm4-cli"), []string{"dropped"},
			"/plugins/echo4/run.sh", []string{"--dir", "/plugins/echo4", "--ns=team-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Dir = "/plugins/" + tt.p.Name
			env := tt.p.Environ([]string{"HOME=/home/u", "HELM_PLUGIN_DIR=/elsewhere"}, map[string]string{"HELM_NAMESPACE": "team-a"})
			main, args, err := tt.p.CommandLine(env, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(append([]string{tt.wantMain}, tt.wantArgs...), append([]string{main}, args...)); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestEnviron(t *testing.T) {
	p := &Plugin{Name: "x", Dir: "/p/x"}
	env := p.Environ([]string{"A=1", "HELM_PLUGIN_NAME=old", "HELM_DEBUG=true"}, map[string]string{"HELM_DEBUG": "false"})
	slices.Sort(env)
	if d := cmp.Diff([]string{"A=1", "HELM_DEBUG=false", "HELM_PLUGIN_DIR=/p/x", "HELM_PLUGIN_NAME=x"}, env); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestSelectCommand(t *testing.T) {
	cmds := []PlatformCommand{
		{Command: "any"},
		{OS: "linux", Command: "linux"},
		{OS: "linux", Arch: "arm64", Command: "linux-arm64"},
		{OS: "darwin", Arch: "amd64", Command: "darwin-amd64"},
		{Arch: "amd64", Command: "arch-only"},
	}
	tests := []struct{ goos, goarch, want string }{
		{"linux", "arm64", "linux-arm64"},
		{"linux", "amd64", "linux"},
		{"darwin", "amd64", "darwin-amd64"},
		{"darwin", "arm64", "any"},
		{"windows", "amd64", "any"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.goarch, func(t *testing.T) {
			c := selectCommand(cmds, tt.goos, tt.goarch)
			if c == nil || c.Command != tt.want {
				t.Fatalf("got %v, want %s", c, tt.want)
			}
		})
	}
	if c := selectCommand(cmds[1:3], "windows", "amd64"); c != nil {
		t.Fatalf("windows got %v, want none", c)
	}
}
