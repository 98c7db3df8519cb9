package cli

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/helmbin"
)

// helmFlagExceptions are the Helm flags barge deliberately does not accept,
// keyed by the command path after "helm" ("" for global flags), each with
// its reason.
var helmFlagExceptions = map[string]map[string]string{
	"search hub": {
		"endpoint":          noHub,
		"fail-on-no-result": noHub,
		"list-repo-url":     noHub,
		"max-col-width":     noHub,
		"output":            noHub,
	},
}

// noHub is why barge takes none of `helm search hub`'s flags.
const noHub = "barge does not search the Artifact Hub: `barge search hub` says so and points to https://artifacthub.io, whatever the flags"

// helmCommandExceptions are the Helm commands barge deliberately does not
// have, with their reason.
var helmCommandExceptions = map[string]string{
	"help":                  "cobra's own help command: barge has it too, but cobra adds it lazily",
	"completion bash":       "barge completion takes the shell as its argument: `barge completion bash` is the same command line (without --no-descriptions)",
	"completion zsh":        "barge completion takes the shell as its argument: `barge completion zsh` is the same command line (without --no-descriptions)",
	"completion fish":       "barge completion takes the shell as its argument: `barge completion fish` is the same command line (without --no-descriptions)",
	"completion powershell": "barge completion takes the shell as its argument: `barge completion powershell` is the same command line (without --no-descriptions)",
	"plugin package":        "Helm 4's signed plugin archives: barge installs plugins from directories, archives and git without signatures, as Helm 3 does, and refuses `plugin install --verify`",
	"plugin verify":         "Helm 4's plugin provenance files: barge does not verify plugin signatures (see plugin package)",
}

// helmFlagRE matches a flag line of a --help: "  -n, --namespace string  ..."
// or "      --atomic  ...".
var helmFlagRE = regexp.MustCompile(`^\s+(?:-([A-Za-z0-9]), )?--([A-Za-z0-9][-A-Za-z0-9]*)`)

// helmCommandRE matches a command line of "Available Commands:".
var helmCommandRE = regexp.MustCompile(`^\s{2}([a-z][-a-z0-9]*)\s`)

// helmHelp is what one `helm ... --help` lists.
type helmHelp struct {
	commands []string
	// flags maps each flag, local or global, to its shorthand ("" if none).
	flags map[string]string
}

// parseHelmHelp reads the commands and flags a --help lists.
func parseHelmHelp(r io.Reader) helmHelp {
	h := helmHelp{flags: map[string]string{}}
	section := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line != "" && !strings.HasPrefix(line, " ") {
			section = strings.TrimSuffix(line, ":")
			continue
		}
		switch section {
		case "Available Commands", "Additional Commands":
			if m := helmCommandRE.FindStringSubmatch(line); m != nil {
				h.commands = append(h.commands, m[1])
			}
		case "Flags", "Global Flags":
			if m := helmFlagRE.FindStringSubmatch(line); m != nil {
				h.flags[m[2]] = m[1]
			}
		}
	}
	return h
}

func TestParseHelmHelp(t *testing.T) {
	tests := []struct {
		name      string
		help      string
		wantCmds  []string
		wantFlags map[string]string
	}{
		{
			name: "commands and both kinds of flags",
			help: "Usage:\n  helm get [command]\n\nAvailable Commands:\n  all         download all\n  manifest    download the manifest\n\n" +
				"Flags:\n  -h, --help   help for get\n      --revision int   get the named release with revision\n\n" +
				"Global Flags:\n  -n, --namespace string   namespace scope\n      --kube-as-group stringArray   group\n",
			wantCmds:  []string{"all", "manifest"},
			wantFlags: map[string]string{"help": "h", "revision": "", "namespace": "n", "kube-as-group": ""},
		},
		{
			name:      "usage lines are no flags",
			help:      "Usage:\n  helm version [flags]\n\nFlags:\n      --template string   template for the version string format\n",
			wantFlags: map[string]string{"template": ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseHelmHelp(strings.NewReader(tc.help))
			if !slices.Equal(got.commands, tc.wantCmds) {
				t.Errorf("commands = %v, want %v", got.commands, tc.wantCmds)
			}
			if len(got.flags) != len(tc.wantFlags) {
				t.Errorf("flags = %v, want %v", got.flags, tc.wantFlags)
			}
			for f, s := range tc.wantFlags {
				if gs, ok := got.flags[f]; !ok || gs != s {
					t.Errorf("flag %q: shorthand %q (listed %v), want %q", f, gs, ok, s)
				}
			}
		})
	}
}

// TestHelmFlags runs `--help` of every command of Helm v3 and v4 and checks
// that barge has the command and accepts each of its flags, with the same
// shorthand: a script written for helm must run with barge.
func TestHelmFlags(t *testing.T) {
	for _, version := range []string{"v3.22.0", "v4.3.1"} {
		t.Run(version, func(t *testing.T) {
			bin := helmbin.Find(t, "helm-"+version)
			root := NewRootCmd(strings.NewReader(""), io.Discard, io.Discard, nil)
			for name, why := range helmCommandExceptions {
				t.Logf("helm %s: not compared: %s", name, why)
			}
			for cmd, flags := range helmFlagExceptions {
				for f, why := range flags {
					t.Logf("helm %s --%s: not accepted: %s", cmd, f, why)
				}
			}
			queue := [][]string{{}}
			for len(queue) > 0 {
				path := queue[0]
				queue = queue[1:]
				out, err := exec.Command(bin, append(slices.Clone(path), "--help")...).Output()
				if err != nil {
					t.Fatalf("helm %s --help: %v", strings.Join(path, " "), err)
				}
				h := parseHelmHelp(strings.NewReader(string(out)))
				for _, sub := range h.commands {
					full := append(slices.Clone(path), sub)
					if _, ok := helmCommandExceptions[strings.Join(full, " ")]; ok {
						continue
					}
					queue = append(queue, full)
				}
				key := strings.Join(path, " ")
				c, _, err := root.Find(path)
				if err != nil || (len(path) > 0 && c.Name() != path[len(path)-1]) {
					t.Errorf("helm %s: barge has no such command", key)
					continue
				}
				c.InitDefaultHelpFlag() // cobra adds -h/--help when it runs
				for f, short := range h.flags {
					if why, ok := helmFlagExceptions[key][f]; ok && why != "" {
						continue
					}
					if why, ok := helmFlagExceptions[""][f]; ok && why != "" {
						continue
					}
					bf := c.Flag(f)
					if bf == nil {
						t.Errorf("helm %s --%s: barge does not accept it", key, f)
						continue
					}
					if bf.Shorthand != short {
						t.Errorf("helm %s --%s: shorthand %q, barge's is %q", key, f, short, bf.Shorthand)
					}
				}
			}
		})
	}
}
