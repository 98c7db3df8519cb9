package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Context is how many unchanged lines surround each change; negative
	// shows whole objects.
	Context int
	// Color marks the output with ANSI colours: removed lines red, added
	// lines green, headers bold.
	Color bool
	// BeforeLabel and AfterLabel name the two sides in the --- and +++
	// lines ("live", "upgrade"); empty means "live" and "desired".
	BeforeLabel, AfterLabel string
	// Unchanged also lists the objects that do not change, one line each.
	Unchanged bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// textWriter writes lines, coloured or not, remembering the first error.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) line(color, s string) {
	if t.err != nil {
		return
	}
	if t.color && color != "" {
		s = color + s + ansiReset
	}
	_, t.err = io.WriteString(t.w, s+"\n")
}

// header returns the heading of an object's change: kind, namespace and
// name, apiVersion, and the action.
func header(c *ObjectChange) string {
	what := map[Action]string{
		Create:    "to be created",
		Change:    "to be changed",
		Delete:    "to be deleted",
		Unchanged: "unchanged",
		Keep:      "dropped from the release, kept in the cluster (helm.sh/resource-policy: keep)",
	}[c.Action]
	if c.Action == Unchanged && len(c.Foreign) > 0 {
		what = "unchanged by the apply, with fields other managers set"
	}
	ns := c.Namespace
	if ns == "" {
		ns = "(cluster)"
	}
	return fmt.Sprintf("%s %s/%s (%s): %s", c.Kind, ns, c.Name, c.APIVersion, what)
}

// WriteText writes a unified diff per object that changes, each headed by
// its kind, namespace and name, then the hooks. A change set without
// changes writes "No changes.".
func WriteText(w io.Writer, cs *ChangeSet, opts TextOptions) error {
	t := &textWriter{w: w, color: opts.Color}
	before, after := opts.BeforeLabel, opts.AfterLabel
	if before == "" {
		before = "live"
	}
	if after == "" {
		after = "desired"
	}
	shown := false
	for _, c := range cs.Changes {
		if !c.Changed() && c.Action != Keep {
			if opts.Unchanged {
				t.line("", header(c))
			}
			continue
		}
		if shown {
			t.line("", "")
		}
		shown = true
		t.line(ansiBold, header(c))
		if c.Conflict != "" {
			t.line(ansiYellow, "! "+c.Conflict)
		}
		if c.Note != "" {
			t.line("", "# "+c.Note)
		}
		switch c.Action {
		case Create, Delete, Change:
			writeHunks(t, c, before, after, opts.Context)
		}
		if len(c.Foreign) > 0 {
			t.line(ansiYellow, "# fields set by other field managers, which the apply leaves as they are:")
			for _, f := range c.Foreign {
				v := ""
				if f.Value != nil {
					v = ": " + inlineValue(f.Value)
				}
				t.line(ansiYellow, fmt.Sprintf("#   %s%s  (%s, %s)", f.Path, v, f.Manager, strings.ToLower(f.Operation)))
			}
		}
	}
	if len(cs.Hooks) > 0 {
		if shown {
			t.line("", "")
		}
		t.line(ansiBold, "Hooks the operation runs (created and deleted as it runs, not compared with the cluster):")
		for _, h := range cs.Hooks {
			t.line("", fmt.Sprintf("  %s/%s  events: %s  weight: %d", h.Kind, h.Name, strings.Join(h.Events, ","), h.Weight))
		}
	}
	if !shown && !opts.Unchanged {
		t.line("", "No changes.")
	}
	return t.err
}

// writeHunks writes the unified diff of one object.
func writeHunks(t *textWriter, c *ObjectChange, before, after string, context int) {
	ops := editScript(c.before, c.after)
	hs := hunks(ops, context)
	if len(hs) == 0 {
		return
	}
	t.line(ansiRed, "--- "+before)
	t.line(ansiGreen, "+++ "+after)
	for _, h := range hs {
		t.line(ansiCyan, fmt.Sprintf("@@ -%s +%s @@", hunkRange(h.aStart, h.aLen), hunkRange(h.bStart, h.bLen)))
		for _, op := range h.ops {
			switch op.kind {
			case opDelete:
				t.line(ansiRed, "-"+op.text)
			case opInsert:
				t.line(ansiGreen, "+"+op.text)
			default:
				t.line("", " "+op.text)
			}
		}
	}
}

// hunkRange formats a hunk's range as diff -u does: lines count from 1,
// an empty range names the line before it.
func hunkRange(start, n int) string {
	if n == 0 {
		return strconv.Itoa(start) + ",0"
	}
	if n == 1 {
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(n)
}

// inlineValue formats a value on one line, as JSON.
func inlineValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// WriteSummary writes a table of the changes per kind: created, changed,
// deleted, unchanged, and the kept and foreign-field columns when any
// object has them; then a total line.
func WriteSummary(w io.Writer, cs *ChangeSet) error {
	rows := cs.Summary()
	var total KindSummary
	for _, r := range rows {
		total.Created += r.Created
		total.Changed += r.Changed
		total.Deleted += r.Deleted
		total.Unchanged += r.Unchanged
		total.Kept += r.Kept
		total.Drifted += r.Drifted
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "KIND\tCREATED\tCHANGED\tDELETED\tUNCHANGED"
	if total.Kept > 0 {
		head += "\tKEPT"
	}
	if total.Drifted > 0 {
		head += "\tFOREIGN FIELDS"
	}
	fmt.Fprintln(tw, head)
	row := func(r KindSummary) {
		s := fmt.Sprintf("%s\t%d\t%d\t%d\t%d", r.Kind, r.Created, r.Changed, r.Deleted, r.Unchanged)
		if total.Kept > 0 {
			s += fmt.Sprintf("\t%d", r.Kept)
		}
		if total.Drifted > 0 {
			s += fmt.Sprintf("\t%d", r.Drifted)
		}
		fmt.Fprintln(tw, s)
	}
	for _, r := range rows {
		row(r)
	}
	total.Kind = "TOTAL"
	row(total)
	return tw.Flush()
}

// jsonChangeSet is the JSON form of a ChangeSet.
type jsonChangeSet struct {
	Changed bool            `json:"changed"`
	Changes []*ObjectChange `json:"changes"`
	Hooks   []Hook          `json:"hooks"`
	Summary []KindSummary   `json:"summary"`
}

// WriteJSON writes the change set as one JSON document: "changed" (true
// when anything changes), "changes" (per object: apiVersion, kind,
// namespace, name, action, and the paths that change with their values
// before and after, the foreign fields, a conflict), "hooks", and
// "summary" (per kind). Secret values are masked as in the text.
func WriteJSON(w io.Writer, cs *ChangeSet) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cs); err != nil {
		return fmt.Errorf("diff: json output: %w", err)
	}
	return nil
}

// MarshalJSON encodes the change set as WriteJSON writes it.
func (cs *ChangeSet) MarshalJSON() ([]byte, error) {
	doc := jsonChangeSet{Changed: cs.HasChanges(), Changes: cs.Changes, Hooks: cs.Hooks, Summary: cs.Summary()}
	if doc.Changes == nil {
		doc.Changes = []*ObjectChange{}
	}
	if doc.Hooks == nil {
		doc.Hooks = []Hook{}
	}
	return json.Marshal(doc)
}
