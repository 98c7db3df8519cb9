package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/plugin"
	"github.com/bargehq/barge/pkg/repo/getter"
)

func newPluginCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugin",
		Short: "install, list, update or uninstall Helm plugins",
		Long: `Manage Helm plugins: barge finds them where Helm does ($HELM_PLUGINS, else
the plugins directory of Helm's data home), so that a plugin installed with
'helm plugin install' works with barge, and the other way round. An installed
plugin that is a command runs as 'barge NAME ARGS...'; one that declares
downloaders serves its URL schemes to -f/--values and chart URLs.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newPluginInstallCmd(cfg), newPluginListCmd(cfg), newPluginUninstallCmd(cfg), newPluginUpdateCmd(cfg))
	return cmd
}

// installer returns the plugin installer: the first plugins directory,
// archives fetched with barge's getter (bounded), git from $PATH.
func (c *Config) installer(repo getter.Repo) *plugin.Installer {
	g := c.getter()
	g.MaxArchiveSize = maxPluginArchive
	return &plugin.Installer{
		Dir: c.pluginDirs()[0],
		Fetch: func(ctx context.Context, rawURL string, w io.Writer) error {
			_, err := g.Get(ctx, getter.Request{URL: rawURL, Kind: getter.KindArchive, Repo: repo}, w)
			return err
		},
		Env: c.Env,
	}
}

// runHook runs p's hook for event with the plugin's environment, its
// output on barge's streams.
func (c *Config) runHook(ctx context.Context, p *plugin.Plugin, event string) error {
	return p.RunHook(ctx, event, plugin.Invocation{Env: c.pluginEnv(p), Stdout: c.Out, Stderr: c.ErrOut})
}

func newPluginInstallCmd(cfg *Config) *cobra.Command {
	var (
		version   string
		repo      getter.Repo
		plainHTTP bool
		verify    bool
		keyring   string
	)
	cmd := &cobra.Command{
		Use:     "install [options] <path|url>",
		Aliases: []string{"add"},
		Short:   "install a Helm plugin",
		Long: `Install a plugin from a local directory (symlinked into the plugins
directory), the http(s) URL of a .tgz or .tar.gz archive, or a git repository
(cloned with git; --version picks the newest tag meeting a SemVer constraint).
The plugin's install hook runs after it is installed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if verify {
				return errors.New("--verify: barge does not verify plugin signatures (Helm 4's plugin provenance files); install without --verify, or with --verify=false, to accept the plugin unverified")
			}
			p, err := cfg.installer(repo).Install(cmd.Context(), args[0], version)
			if err != nil {
				return err
			}
			if err := cfg.runHook(cmd.Context(), p, plugin.HookInstall); err != nil {
				return fmt.Errorf("plugin %q is installed, but its install hook failed: %w; uninstall it and try again", p.Name, err)
			}
			fmt.Fprintf(cfg.Out, "Installed plugin: %s\n", p.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "specify a version constraint. If this is not specified, the latest version is installed")
	f.StringVar(&repo.Username, "username", "", "username for the plugin download")
	f.StringVar(&repo.Password, "password", "", "password for the plugin download")
	bindTLSFiles(f, &repo.CertFile, &repo.KeyFile, &repo.CAFile)
	f.BoolVar(&repo.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip tls certificate checks for the plugin download")
	f.BoolVar(&plainHTTP, "plain-http", false, "use insecure HTTP connections for the plugin download (barge takes http:// URLs as given)")
	f.BoolVar(&verify, "verify", false, "verify the plugin signature before installing (Helm 4; barge does not verify plugin signatures and refuses the flag when set)")
	f.StringVar(&keyring, "keyring", "", "location of public keys used for verification (used with --verify only)")
	return cmd
}

func newPluginListCmd(cfg *Config) *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list installed Helm plugins",
		Long: `List the installed plugins: Helm's columns (NAME, VERSION, DESCRIPTION), then
Helm 4's TYPE and APIVERSION ("legacy" for Helm 3's plugin.yaml). A plugin
that does not load is reported on stderr with its file, and left out.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			plugins, err := cfg.plugins()
			if err != nil {
				for _, e := range splitJoined(err) {
					cfg.warn(e.Error())
				}
			}
			t := &table{}
			t.row("NAME", "VERSION", "DESCRIPTION", "TYPE", "APIVERSION")
			for _, p := range plugins {
				if typ != "" && p.Type != typ {
					continue
				}
				api := p.APIVersion
				if api == "" {
					api = "legacy"
				}
				t.row(p.Name, p.Version, p.Description, p.Type, api)
			}
			return t.write(cfg.Out)
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "Plugin type")
	return cmd
}

// splitJoined returns the errors errors.Join joined in err.
func splitJoined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func newPluginUninstallCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:     "uninstall <plugin>...",
		Aliases: []string{"rm", "remove"},
		Short:   "uninstall one or more Helm plugins",
		Long: `Uninstall plugins by name. Each plugin's delete hook runs before its
directory is removed (Helm runs it after, when its files are gone); a plugin
installed from a local directory loses only its link, not the directory.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			plugins, _ := cfg.plugins()
			var errs []string
			for _, name := range args {
				p := plugin.Find(plugins, name)
				if p == nil {
					errs = append(errs, fmt.Sprintf("Plugin: %s not found", name))
					continue
				}
				hookErr := cfg.runHook(cmd.Context(), p, plugin.HookDelete)
				if err := plugin.Uninstall(p); err != nil {
					errs = append(errs, fmt.Sprintf("Failed to uninstall plugin %s, got error (%v)", name, err))
					continue
				}
				fmt.Fprintf(cfg.Out, "Uninstalled plugin: %s\n", name)
				if hookErr != nil {
					errs = append(errs, fmt.Sprintf("plugin %s is uninstalled, but its delete hook failed: %v", name, hookErr))
				}
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
	}
}

func newPluginUpdateCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:     "update <plugin>...",
		Aliases: []string{"up"},
		Short:   "update one or more Helm plugins",
		Long: `Update plugins by name: one cloned from git is pulled (refused if its files
were modified or it is pinned to a tag); one installed from a local directory
is that directory, always current. One installed from an archive cannot be
updated: uninstall it and install the new version. The update hook runs after.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			plugins, _ := cfg.plugins()
			inst := cfg.installer(getter.Repo{})
			var errs []string
			for _, name := range args {
				p := plugin.Find(plugins, name)
				if p == nil {
					errs = append(errs, fmt.Sprintf("Plugin: %s not found", name))
					continue
				}
				up, err := inst.Update(cmd.Context(), p)
				if err == nil {
					err = cfg.runHook(cmd.Context(), up, plugin.HookUpdate)
				}
				if err != nil {
					errs = append(errs, fmt.Sprintf("Failed to update plugin %s, got error (%v)", name, err))
					continue
				}
				fmt.Fprintf(cfg.Out, "Updated plugin: %s\n", name)
			}
			if len(errs) > 0 {
				return errors.New(strings.Join(errs, "\n"))
			}
			return nil
		},
	}
}
