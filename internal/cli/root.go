package cli

import (
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/kube"
	"github.com/bargehq/barge/pkg/plugin"
)

// ExitError carries an exit code out of a command. Err, when not nil, is
// printed before exiting.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return "exit status " + itoa(e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ExitError) Unwrap() error { return e.Err }

// Config is what every command shares: the kube flags, the streams, the
// environment and the logger.
type Config struct {
	Kube  kube.Config
	Debug bool

	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Env is the process environment as KEY=VALUE pairs.
	Env []string
	// RepositoryConfig and RepositoryCache are --repository-config and
	// --repository-cache; empty means Helm's files (see repoPaths).
	RepositoryConfig, RepositoryCache string
	// RegistryConfig is --registry-config; empty means Helm's file (see
	// repo.RegistryConfigFromEnv).
	RegistryConfig string
	// Color is --color: whether output may be coloured.
	Color colorMode
	// ContentCache is Helm 4's --content-cache, accepted and unused.
	ContentCache string

	// The plugins found, read once (see plugins).
	pluginsOnce  sync.Once
	pluginsFound []*plugin.Plugin
	pluginsErr   error
}

// Getenv returns the value of an environment variable from Config.Env.
func (c *Config) Getenv(key string) string {
	v, _ := c.lookupEnv(key)
	return v
}

// Setting returns the value of barge's setting name (DEBUG, NAMESPACE,
// MAX_HISTORY...): $BARGE_<name> when it is set, else Helm's $HELM_<name>,
// so that a CI configured for Helm configures barge too.
func (c *Config) Setting(name string) string {
	if v, ok := c.lookupEnv("BARGE_" + name); ok {
		return v
	}
	return c.Getenv("HELM_" + name)
}

// lookupEnv is os.LookupEnv on Config.Env.
func (c *Config) lookupEnv(key string) (string, bool) {
	for i := len(c.Env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(c.Env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Logger returns the logger commands pass to libraries: debug output on
// stderr with --debug, nothing otherwise.
func (c *Config) Logger() *slog.Logger {
	if !c.Debug {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(c.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// warn tells the user, on stderr, of something the engine found and did
// on its own.
func (c *Config) warn(msg string) {
	_, _ = io.WriteString(c.ErrOut, "WARNING: "+msg+"\n")
}

// Namespace returns the namespace commands work in.
func (c *Config) Namespace() string { return c.Kube.DefaultNamespace() }

// NewRootCmd returns barge's root command with every subcommand attached.
func NewRootCmd(in io.Reader, out, errOut io.Writer, env []string) *cobra.Command {
	cfg := &Config{In: in, Out: out, ErrOut: errOut, Env: env}
	root := &cobra.Command{
		Use:   "barge",
		Short: "A Helm-compatible package manager and release engine for Kubernetes",
		Long: `barge renders Helm charts, diffs them against the live cluster, installs and
upgrades releases, and keeps their history as Secrets in Helm's own format, so
that Helm and barge can work on the same releases.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	flags := &globalFlags{cfg: cfg}
	flags.Bind(root.PersistentFlags(), cfg.Setting)
	spelling := &helm2Spelling{}
	root.SetGlobalNormalizationFunc(spelling.normalize)
	root.PersistentPreRun = func(*cobra.Command, []string) { spelling.note(cfg.ErrOut) }

	root.AddCommand(
		newVersionCmd(cfg),
		newCompletionCmd(cfg),
		newEnvCmd(cfg),
		newTemplateCmd(cfg),
		newLintCmd(cfg),
		newCreateCmd(cfg),
		newShowCmd(cfg),
		newDependencyCmd(cfg),
		newRepoCmd(cfg),
		newSearchCmd(cfg),
		newPullCmd(cfg),
		newPackageCmd(cfg),
		newVerifyCmd(cfg),
		newPushCmd(cfg),
		newRegistryCmd(cfg),
		newListCmd(cfg),
		newHistoryCmd(cfg),
		newStatusCmd(cfg),
		newGetCmd(cfg),
		newInstallCmd(cfg),
		newUpgradeCmd(cfg),
		newRollbackCmd(cfg),
		newUninstallCmd(cfg),
		newTestCmd(cfg),
		newDiffCmd(cfg),
		newDriftCmd(cfg),
		newFleetApplyCmd(cfg),
		newFleetPlanCmd(cfg),
		newFleetDestroyCmd(cfg),
	)
	addPluginCommands(root, cfg)
	explainErrors(root, cfg)
	return root
}
