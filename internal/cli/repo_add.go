package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// repoAddOptions are the flags of `barge repo add`.
type repoAddOptions struct {
	entry          repo.Entry
	passwordStdin  bool
	forceUpdate    bool
	noUpdate       bool
	allowDeprecate bool
	timeout        time.Duration
}

// repoLockWait bounds the wait for the lock on repositories.yaml, as Helm's
// 30 seconds do.
const repoLockWait = 30 * time.Second

// repoDeprecated are the repositories that were deleted for good, and where
// their charts went.
var repoDeprecated = map[string]string{
	"//kubernetes-charts.storage.googleapis.com":           "https://charts.helm.sh/stable",
	"//kubernetes-charts-incubator.storage.googleapis.com": "https://charts.helm.sh/incubator",
}

// errRepoAddSkip stops the change of repositories.yaml when the repository
// is already configured as asked.
var errRepoAddSkip = errors.New("repository already configured")

func newRepoAddCmd(cfg *Config) *cobra.Command {
	o := &repoAddOptions{}
	cmd := &cobra.Command{
		Use:   "add NAME URL",
		Short: "Add a chart repository",
		Long: `Add a chart repository: download its index (URL/index.yaml) and, if it is a
valid index, save the repository in repositories.yaml under NAME.

If --username is given without a password, the password is asked for on the
terminal, or read from standard input with --password-stdin.

A repository already configured with the same settings is left as it is; with
other settings, it is replaced only with --force-update.`,
		Example: `  barge repo add bitnami https://charts.bitnami.com/bitnami
  echo "$TOKEN" | barge repo add private https://charts.example.com --username ci --password-stdin
  barge repo add internal https://charts.internal --ca-file ca.pem --cert-file me.pem --key-file me-key.pem`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.entry.Name, o.entry.URL = args[0], args[1]
			return o.run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	e := &o.entry
	f.StringVar(&e.Username, "username", "", "chart repository username")
	f.StringVar(&e.Password, "password", "", "chart repository password")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read chart repository password from stdin")
	f.BoolVar(&o.forceUpdate, "force-update", false, "replace (overwrite) the repo if it already exists")
	f.BoolVar(&o.noUpdate, "no-update", false, "Ignored. Formerly, it would disabled forced updates. It is deprecated by force-update.")
	bindTLSFiles(f, &e.CertFile, &e.KeyFile, &e.CAFile)
	f.BoolVar(&e.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "skip tls certificate checks for the repository")
	f.BoolVar(&o.allowDeprecate, "allow-deprecated-repos", false, "by default, this command will not allow adding official repos that have been permanently deleted. This disables that behavior")
	f.BoolVar(&e.PassCredentialsAll, "pass-credentials", false, "pass credentials to all domains")
	f.DurationVar(&o.timeout, "timeout", getter.DefaultTimeout, "time to wait for the index file download to complete")
	return cmd
}

func (o *repoAddOptions) run(ctx context.Context, cfg *Config) error {
	e := o.entry
	if !o.allowDeprecate {
		for old, replacement := range repoDeprecated {
			if strings.Contains(e.URL, old) {
				return fmt.Errorf("repo %q is no longer available; try %q instead", getter.Redact(e.URL), replacement)
			}
		}
	}
	if err := o.readPassword(cfg, &e); err != nil {
		return err
	}
	// Helm keeps these paths as given, which breaks the repository for
	// commands run from another directory: barge keeps them absolute.
	for _, p := range []*string{&e.CertFile, &e.KeyFile, &e.CAFile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("repository %q: %w", e.Name, err)
		}
		*p = abs
	}

	paths := cfg.repoPaths()
	client := cfg.getter()
	client.Timeout = o.timeout
	cache := &repo.Cache{Paths: paths, Client: client, Logger: cfg.Logger()}
	lockCtx, cancel := context.WithTimeout(ctx, repoLockWait)
	defer cancel()
	// The index is downloaded under the lock, as Helm does, so that the
	// cache and repositories.yaml agree even when two adds of one name race.
	err := repo.UpdateConfig(lockCtx, paths.Config, func(c *repo.Config) error {
		if old := c.Get(e.Name); old != nil && !o.forceUpdate {
			if *old == e {
				return errRepoAddSkip
			}
			return fmt.Errorf("repository name (%s) already exists, please specify a different name, or replace it with --force-update", e.Name)
		}
		idx, err := cache.Update(ctx, &e)
		if err != nil {
			return err
		}
		for _, s := range idx.Skipped {
			cfg.warn(s.Error())
		}
		return c.Set(&e)
	})
	switch {
	case errors.Is(err, errRepoAddSkip):
		fmt.Fprintf(cfg.Out, "%q already exists with the same configuration, skipping\n", e.Name)
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(cfg.Out, "%q has been added to your repositories\n", e.Name)
	return nil
}

// maxPasswordSize bounds a password read from standard input.
const maxPasswordSize = 64 << 10

// readPassword fills in the password of e: from standard input with
// --password-stdin, else, when a username is given without one, from the
// terminal.
func (o *repoAddOptions) readPassword(cfg *Config, e *repo.Entry) error {
	return readPassword(cfg, o.passwordStdin, e.Username, &e.Password, fmt.Sprintf("repository %q", e.Name))
}

// readPassword fills *password as Helm's repo add and registry login do:
// from standard input with --password-stdin, else, for a username without
// a password, from a prompt at a terminal. what names what it is for in
// errors.
func readPassword(cfg *Config, fromStdin bool, username string, password *string, what string) error {
	switch {
	case fromStdin && *password != "":
		return errors.New("--password and --password-stdin: give the password one way only")
	case fromStdin:
		b, err := io.ReadAll(io.LimitReader(cfg.In, maxPasswordSize))
		if err != nil {
			return fmt.Errorf("--password-stdin: %w", err)
		}
		*password = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		return nil
	case username == "" || *password != "":
		return nil
	}
	f, ok := cfg.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return fmt.Errorf("%s: --username without a password, and no terminal to ask for it on: pass --password-stdin and write the password to standard input", what)
	}
	fmt.Fprint(cfg.Out, "Password: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cfg.Out)
	if err != nil {
		return fmt.Errorf("reading the password: %w", err)
	}
	*password = string(b)
	return nil
}
