package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/plugin"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// maxPluginArchive bounds a plugin archive downloaded by `plugin install
// URL`: plugins ship binaries, bigger than charts.
const maxPluginArchive = 256 << 20

// pluginDirs returns the directories plugins are found in: Helm's (see
// plugin.DirsFromEnv).
func (c *Config) pluginDirs() []string { return plugin.DirsFromEnv(c.Getenv) }

// plugins returns the plugins found, and an error naming each that does
// not load. The plugin directories are read once per Config: the root
// command, the getter's downloaders and each post-renderer (one per fleet
// release) share what was found.
func (c *Config) plugins() ([]*plugin.Plugin, error) {
	c.pluginsOnce.Do(func() { c.pluginsFound, c.pluginsErr = plugin.FindAll(c.pluginDirs()) })
	return c.pluginsFound, c.pluginsErr
}

// pluginSettings returns the HELM_* variables Helm gives a plugin (see
// `helm env`), with barge's settings in effect.
func (c *Config) pluginSettings() map[string]string {
	k := c.Kube
	homes := plugin.HomesFromEnv(c.Getenv)
	paths := c.repoPaths()
	registry := c.RegistryConfig
	if registry == "" {
		registry = repo.RegistryConfigFromEnv(c.Getenv)
	}
	bin, err := os.Executable()
	if err != nil {
		bin = "barge"
	}
	qps := k.QPS
	m := map[string]string{
		"HELM_BIN":                          bin,
		"HELM_CACHE_HOME":                   homes.Cache,
		"HELM_CONFIG_HOME":                  homes.Config,
		"HELM_DATA_HOME":                    homes.Data,
		"HELM_DEBUG":                        strconv.FormatBool(c.Debug),
		"HELM_PLUGINS":                      strings.Join(c.pluginDirs(), string(filepath.ListSeparator)),
		"HELM_REGISTRY_CONFIG":              registry,
		"HELM_REPOSITORY_CACHE":             paths.Cache,
		"HELM_REPOSITORY_CONFIG":            paths.Config,
		"HELM_NAMESPACE":                    c.Namespace(),
		"HELM_MAX_HISTORY":                  strconv.Itoa(c.maxHistory()),
		"HELM_BURST_LIMIT":                  strconv.Itoa(k.Burst),
		"HELM_QPS":                          strconv.FormatFloat(float64(qps), 'f', 2, 32),
		"HELM_KUBECONTEXT":                  k.Context,
		"HELM_KUBETOKEN":                    k.Token,
		"HELM_KUBEASUSER":                   k.AsUser,
		"HELM_KUBEASGROUPS":                 strings.Join(k.AsGroups, ","),
		"HELM_KUBEAPISERVER":                k.APIServer,
		"HELM_KUBECAFILE":                   k.CAFile,
		"HELM_KUBEINSECURE_SKIP_TLS_VERIFY": strconv.FormatBool(k.Insecure),
		"HELM_KUBETLS_SERVER_NAME":          k.TLSServerName,
	}
	if k.Kubeconfig != "" {
		m["KUBECONFIG"] = k.Kubeconfig
	}
	return m
}

// pluginEnv returns the environment of p's processes.
func (c *Config) pluginEnv(p *plugin.Plugin) []string {
	return p.Environ(c.Env, c.pluginSettings())
}

// pluginDownloaders returns, by URL scheme, the getter.Downloader of each
// protocol a plugin declares, for getter.Client.Downloaders. Plugins that
// do not load are left out (with --debug, said why).
func (c *Config) pluginDownloaders() map[string]getter.Downloader {
	plugins, err := c.plugins()
	if err != nil {
		c.Logger().Debug("some plugins did not load", "error", err)
	}
	out := map[string]getter.Downloader{}
	for scheme, p := range plugin.ByProtocol(plugins) {
		out[strings.ToLower(scheme)] = func(ctx context.Context, req getter.Request, limit int64, w io.Writer) error {
			return p.Download(ctx, req.URL, plugin.DownloadOptions{
				Env:                c.pluginEnv(p),
				CertFile:           req.Repo.CertFile,
				KeyFile:            req.Repo.KeyFile,
				CAFile:             req.Repo.CAFile,
				Username:           req.Repo.Username,
				Password:           req.Repo.Password,
				PassCredentialsAll: req.Repo.PassCredentialsAll,
				Limit:              limit,
				Stderr:             c.ErrOut,
			}, w)
		}
	}
	return out
}

// addPluginCommands adds the plugin command and, as Helm does, one
// command per installed plugin that has one: `barge NAME ARGS...` runs
// the plugin with ARGS, flags included, unparsed, except barge's global
// flags (--namespace, --kube-context...), which set the plugin's HELM_*
// variables. A plugin whose name is one of barge's commands is skipped
// (with --debug or $HELM_DEBUG, said so); $HELM_NO_PLUGINS=1 adds none.
func addPluginCommands(root *cobra.Command, cfg *Config) {
	root.AddCommand(newPluginCmd(cfg))
	if cfg.Getenv("HELM_NO_PLUGINS") == "1" {
		return
	}
	debug := envBool(cfg.Setting("DEBUG"))
	plugins, err := cfg.plugins()
	if err != nil && debug {
		fmt.Fprintf(cfg.ErrOut, "DEBUG: some plugins did not load: %v\n", err)
	}
	taken := map[string]bool{"help": true}
	for _, c := range root.Commands() {
		taken[c.Name()] = true
		for _, a := range c.Aliases {
			taken[a] = true
		}
	}
	for _, p := range plugins {
		if !p.IsCommand() {
			continue
		}
		if taken[p.Name] {
			if debug {
				fmt.Fprintf(cfg.ErrOut, "DEBUG: plugin %q (%s) is not a command: barge has a command of that name\n", p.Name, p.Dir)
			}
			continue
		}
		taken[p.Name] = true
		root.AddCommand(newPluginRunCmd(root, cfg, p))
	}
}

// newPluginRunCmd is the command that runs plugin p.
func newPluginRunCmd(root *cobra.Command, cfg *Config, p *plugin.Plugin) *cobra.Command {
	short := p.Usage
	if short == "" {
		short = fmt.Sprintf("the %q plugin", p.Name)
	}
	return &cobra.Command{
		Use:                p.Name,
		Short:              short,
		Long:               p.Description,
		DisableFlagParsing: true,
		Annotations:        map[string]string{"plugin": p.Dir},
		RunE: func(cmd *cobra.Command, args []string) error {
			global, rest := splitGlobalFlags(root, args)
			if err := root.ParseFlags(global); err != nil {
				return fmt.Errorf("plugin %q: %w", p.Name, err)
			}
			err := p.Run(cmd.Context(), plugin.Invocation{
				Env:    cfg.pluginEnv(p),
				Args:   rest,
				Stdin:  cfg.In,
				Stdout: cfg.Out,
				Stderr: cfg.ErrOut,
			})
			var exit *plugin.ExitError
			if errors.As(err, &exit) {
				// The plugin said what went wrong; barge exits with its status.
				cfg.Logger().Debug("plugin exited with an error", "plugin", p.Name, "status", exit.Code)
				return &ExitError{Code: exit.Code}
			}
			return err
		},
	}
}

// splitGlobalFlags separates, in a plugin's arguments, barge's global
// flags (as Helm does with its own: --namespace, --kube-context...), which
// barge reads, from the rest, passed to the plugin.
func splitGlobalFlags(root *cobra.Command, args []string) (global, rest []string) {
	fs := root.PersistentFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return global, append(rest, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f = fs.Lookup(name)
		if !strings.HasPrefix(a, "--") {
			f = nil
			if len(name) == 1 {
				f = fs.ShorthandLookup(name)
			}
		}
		if f == nil {
			rest = append(rest, a)
			continue
		}
		global = append(global, a)
		if !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			global = append(global, args[i])
		}
	}
	return global, rest
}
