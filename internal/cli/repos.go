package cli

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/bargehq/barge/internal/version"
	"github.com/bargehq/barge/pkg/oci"
	"github.com/bargehq/barge/pkg/repo"
	"github.com/bargehq/barge/pkg/repo/getter"
)

// repoPaths returns where the repositories file and the repository cache
// are: Helm's own (so that Helm and barge share their repositories), unless
// the environment or --repository-config and --repository-cache say
// otherwise.
func (c *Config) repoPaths() repo.Paths {
	p := repo.PathsFromEnv(c.Getenv)
	if c.RepositoryConfig != "" {
		p.Config = c.RepositoryConfig
	}
	if c.RepositoryCache != "" {
		p.Cache = c.RepositoryCache
	}
	return p
}

// getter returns the client that downloads repository indexes and charts;
// with --debug it logs each request, credentials masked.
func (c *Config) getter() *getter.Client {
	g := &getter.Client{Version: version.Get().Version}
	if c.Debug {
		logger := c.Logger()
		g.Log = func(ctx context.Context, info getter.RequestInfo) {
			attrs := []any{"method", info.Method, "url", info.URL, "ms", float64(info.Duration.Microseconds()) / 1000,
				"credentials", info.Auth, "withheld", info.Withheld}
			if info.Err != nil {
				logger.DebugContext(ctx, "request failed", append(attrs, "error", info.Err)...)
				return
			}
			logger.DebugContext(ctx, "request", append(attrs, "status", info.Status)...)
		}
	}
	g.Downloaders = c.pluginDownloaders()
	return g
}

// resolver returns the chart resolver of a command: Helm's repositories,
// the shared cache, warnings on stderr.
func (c *Config) resolver() *repo.Resolver {
	return &repo.Resolver{Paths: c.repoPaths(), Client: c.getter(), Logger: c.warnLogger(), Registry: c.registryOptions()}
}

// registryOptions are the settings of OCI registry clients the flags of a
// command do not give: Helm's registry config (--registry-config), Docker's
// as a fallback, the user agent, and with --debug a log of each request.
func (c *Config) registryOptions() oci.Options {
	creds := c.RegistryConfig
	if creds == "" {
		creds = repo.RegistryConfigFromEnv(c.Getenv)
	}
	o := oci.Options{CredentialsFile: creds, DockerConfig: oci.DockerConfigFromEnv(c.Getenv), UserAgent: "barge/" + version.Get().Version}
	if c.Debug {
		o.Logger = c.Logger()
	}
	return o
}

// warnLogger returns a logger that prints warnings on stderr as
// "WARNING: message (key: value, ...)", and everything with --debug.
func (c *Config) warnLogger() *slog.Logger {
	if c.Debug {
		return c.Logger()
	}
	return slog.New(&warningHandler{w: c.ErrOut})
}

// warningHandler writes records of level Warn and above as one line each.
type warningHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

func (h *warningHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warningHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("WARNING: ")
	b.WriteString(r.Message)
	var parts []string
	add := func(a slog.Attr) bool {
		parts = append(parts, a.Key+": "+a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	b.WriteString("\n")
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *warningHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &warningHandler{w: h.w, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *warningHandler) WithGroup(string) slog.Handler { return h }
