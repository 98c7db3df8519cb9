package cli

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/release/storage"
)

// historyOptions are the flags of `barge history`.
type historyOptions struct {
	output outputFlags
	max    int
	// showRollback adds the ROLLBACK column: the revision each rollback
	// restored.
	showRollback bool
	// maxColWidth cuts the descriptions of the table.
	maxColWidth uint
}

func newHistoryCmd(cfg *Config) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:     "history RELEASE_NAME",
		Aliases: []string{"hist"},
		Short:   "Fetch release history",
		Long: `History prints the revisions of a release, oldest first: when each was
deployed, its status, chart, app version and what happened to it.`,
		Example: `  barge history joomla1
  barge history joomla1 --max 3 -o json`,
		Args: releaseArgs(cobra.ExactArgs(1), 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cfg, args[0])
		},
	}
	cmd.Flags().IntVar(&o.max, "max", 256, "maximum number of revision to include in history")
	cmd.Flags().BoolVar(&o.showRollback, "show-rollback-revision", false, "show the rollback revision column in table output")
	cmd.Flags().UintVar(&o.maxColWidth, "max-col-width", 60, "maximum width of the DESCRIPTION column of the table, longer descriptions are cut with \"...\" (0: no limit; -o json and yaml keep them whole)")
	o.output.Bind(cmd.Flags())
	return cmd
}

func (o *historyOptions) run(ctx context.Context, cfg *Config, name string) error {
	cc, err := cfg.connect(ctx, cfg.Namespace(), false)
	if err != nil {
		return err
	}
	sums, err := cc.store.History(ctx, name)
	// Revisions whose records cannot be read are shown in their place,
	// and the command fails once the others are printed.
	var partial *storage.PartialError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	failed := unreadableRows(partial)
	sums = append(sums, failed.summaries()...)
	slices.SortFunc(sums, func(a, b storage.Summary) int { return cmp.Compare(a.Revision, b.Revision) })
	if o.max >= 0 && len(sums) > o.max {
		sums = sums[len(sums)-o.max:]
	}
	h := make(releaseHistory, 0, len(sums))
	for _, s := range sums {
		if err := failed.of(s); err != nil {
			h = append(h, revisionInfo{Revision: s.Revision, Status: statusUnreadable, Chart: "-", AppVersion: "-", Description: err.Error()})
			continue
		}
		info := revisionInfo{
			Revision: s.Revision, Updated: s.LastDeployed, Status: s.Status.String(),
			Chart: chartRef(s), AppVersion: appVersion(s), Description: s.Description,
		}
		if o.showRollback {
			// The summaries lack it: read the revision's record.
			rls, err := cc.store.Get(ctx, name, s.Revision)
			if err != nil {
				return err
			}
			if rls.Info != nil {
				info.RollbackRevision = rls.Info.RollbackRevision
			}
		}
		h = append(h, info)
	}
	if o.output.format == outputTable {
		for i := range h {
			h[i].Description = clipCell(oneLine(h[i].Description), int(min(o.maxColWidth, 1<<20)))
		}
	}
	var out printable = h
	if o.showRollback {
		out = historyWithRollback(h)
	}
	if err := o.output.format.write(cfg.Out, out); err != nil {
		return err
	}
	return failed.exitError("the other revisions are shown")
}

// revisionInfo is a row of `history`, with Helm's JSON field names.
type revisionInfo struct {
	Revision    int       `json:"revision"`
	Updated     time.Time `json:"updated"`
	Status      string    `json:"status"`
	Chart       string    `json:"chart"`
	AppVersion  string    `json:"app_version"`
	Description string    `json:"description"`
	// RollbackRevision is the revision a rollback restored, read only
	// with --show-rollback-revision, as Helm 4 does.
	RollbackRevision int `json:"rollback_revision,omitempty"`
}

type releaseHistory []revisionInfo

func (h releaseHistory) WriteTable(w io.Writer) error {
	t := &table{}
	t.row("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION")
	for _, r := range h {
		t.row(r.Revision, r.Updated.Format(time.ANSIC), r.Status, r.Chart, r.AppVersion, r.Description)
	}
	return t.write(w)
}

func (h releaseHistory) WriteJSON(w io.Writer) error { return encodeJSON(w, h) }
func (h releaseHistory) WriteYAML(w io.Writer) error { return encodeYAML(w, h) }

// historyWithRollback is the history with Helm 4's ROLLBACK column
// (--show-rollback-revision): the revision each rollback restored.
type historyWithRollback releaseHistory

func (h historyWithRollback) WriteTable(w io.Writer) error {
	t := &table{}
	t.row("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "ROLLBACK", "DESCRIPTION")
	for _, r := range h {
		rollback := ""
		if r.RollbackRevision > 0 {
			rollback = strconv.Itoa(r.RollbackRevision)
		}
		t.row(r.Revision, r.Updated.Format(time.ANSIC), r.Status, r.Chart, r.AppVersion, rollback, r.Description)
	}
	return t.write(w)
}

func (h historyWithRollback) WriteJSON(w io.Writer) error { return encodeJSON(w, h) }
func (h historyWithRollback) WriteYAML(w io.Writer) error { return encodeYAML(w, h) }
