package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/internal/version"
	"github.com/bargehq/barge/pkg/kube/discovery"
)

type versionOutput struct {
	Client version.Info `json:"client"`
	Server *serverInfo  `json:"server,omitempty"`
}

type serverInfo struct {
	Version  string `json:"version,omitempty"`
	Platform string `json:"platform,omitempty"`
	Host     string `json:"host,omitempty"`
	Error    string `json:"error,omitempty"`
}

func newVersionCmd(cfg *Config) *cobra.Command {
	var output, tmpl string
	var short, clientOnly bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client version, and the server's when a cluster is reachable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := versionOutput{Client: version.Get()}
			if tmpl != "" {
				return writeVersionTemplate(cfg.Out, tmpl, out.Client)
			}
			if short {
				fmt.Fprintln(cfg.Out, out.Client.Version)
				return nil
			}
			if !clientOnly {
				out.Server = serverVersion(cmd.Context(), cfg)
			}
			switch output {
			case "json":
				enc := json.NewEncoder(cfg.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			case "", "table":
				fmt.Fprintf(cfg.Out, "Client: %s (%s)\n", out.Client.Version, out.Client.GoVersion)
				if s := out.Server; s != nil {
					if s.Error != "" {
						fmt.Fprintf(cfg.Out, "Server: not reachable: %s\n", s.Error)
					} else {
						fmt.Fprintf(cfg.Out, "Server: %s (%s, %s)\n", s.Version, s.Platform, s.Host)
					}
				}
				return nil
			default:
				return fmt.Errorf("--output %q: unknown format, use table or json", output)
			}
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&short, "short", false, "print the client version number only")
	cmd.Flags().StringVar(&tmpl, "template", "", "template for version string format: {{.Version}}, {{.GitCommit}}, {{.GitTreeState}}, {{.GoVersion}}, as Helm's")
	cmd.Flags().BoolVar(&clientOnly, "client", false, "print the client version only, without contacting a cluster")
	return cmd
}

// serverVersion asks the cluster for its version, giving up after a few seconds.
func serverVersion(ctx context.Context, cfg *Config) *serverInfo {
	rc, err := cfg.Kube.RESTConfig()
	if err != nil {
		return &serverInfo{Error: err.Error()}
	}
	rc.Timeout = 5 * time.Second
	dc, err := discovery.New(rc)
	if err != nil {
		return &serverInfo{Host: rc.Host, Error: err.Error()}
	}
	v, err := dc.ServerVersion(ctx)
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return &serverInfo{Host: rc.Host, Error: err.Error()}
	}
	return &serverInfo{Version: v.GitVersion, Platform: v.Platform, Host: rc.Host}
}

// versionFields are what --template sees, with the names of Helm's
// version: GitTreeState is "clean" or "dirty" when the build recorded it.
type versionFields struct {
	Version, GitCommit, GitTreeState, GoVersion string
}

// writeVersionTemplate executes the --template text over the version.
func writeVersionTemplate(w io.Writer, text string, v version.Info) error {
	t, err := template.New("version").Parse(text)
	if err != nil {
		return fmt.Errorf("--template: %w", err)
	}
	f := versionFields{Version: v.Version, GitCommit: v.GitCommit, GoVersion: v.GoVersion}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.modified" {
				f.GitTreeState = map[string]string{"true": "dirty", "false": "clean"}[s.Value]
			}
		}
	}
	if err := t.Execute(w, f); err != nil {
		return fmt.Errorf("--template: %w", err)
	}
	return nil
}
