package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/chart"
)

// Sentinel errors that callers branch on with errors.Is. Stores wrap them with
// the release (and revision) at fault.
var (
	// ErrNotFound means that no record exists for the release or revision asked for.
	ErrNotFound = errors.New("release: not found")
	// ErrExists means that a record for the release revision already exists.
	ErrExists = errors.New("release: already exists")
	// ErrNoDeployed means that the release has no revision with status deployed.
	ErrNoDeployed = errors.New("has no deployed releases")
	// ErrLocked means that another client holds the release's lock.
	ErrLocked = errors.New("release: locked by another operation")
)

// Release is one revision of a release: a chart deployed with a set of values
// into a namespace. Its JSON form is the record Helm v3 and v4 keep in their
// storage (field names and time format included), so a Release read from a
// Helm record and written back is a record Helm reads again.
//
// A Release is a plain value: it is not safe to modify from several
// goroutines at once, and stores copy what they are given.
type Release struct {
	// Name is the name of the release.
	Name string `json:"name,omitempty"`
	// Info holds the status, times and notes of this revision.
	Info *Info `json:"info,omitempty"`
	// Chart is the chart that was deployed, without its subcharts (Helm keeps
	// the subcharts' templates in the rendered manifest only).
	Chart *chart.Chart `json:"chart,omitempty"`
	// Config holds the values given by the user (not the chart's defaults).
	Config map[string]any `json:"config,omitempty"`
	// Manifest is the rendered manifest of the non-hook resources.
	Manifest string `json:"manifest,omitempty"`
	// Hooks are the rendered hooks of the chart.
	Hooks []*Hook `json:"hooks,omitempty"`
	// Version is the revision number, starting at 1.
	Version int `json:"version,omitempty"`
	// Namespace is the namespace the release was installed into.
	Namespace string `json:"namespace,omitempty"`
	// Labels are the user's labels of the release. They are not part of the
	// JSON record: storage keeps them as labels of the storage object.
	Labels map[string]string `json:"-"`
	// ApplyMethod says how the resources were applied: ApplyMethodServerSide
	// or ApplyMethodClientSide (Helm v4's field; empty means client-side).
	ApplyMethod ApplyMethod `json:"apply_method,omitempty"`
}

// ApplyMethod says how a release's resources were applied to the cluster.
type ApplyMethod string

// The apply methods Helm v4 records.
const (
	// ApplyMethodClientSide is Helm's three-way merge client-side apply.
	ApplyMethodClientSide ApplyMethod = "csa"
	// ApplyMethodServerSide is Kubernetes server-side apply.
	ApplyMethodServerSide ApplyMethod = "ssa"
)

// Status is the state of a release revision.
type Status string

// The statuses of a release revision, spelled as Helm records them.
const (
	// StatusUnknown means the state of the revision is uncertain.
	StatusUnknown Status = "unknown"
	// StatusDeployed means the revision is the one running in the cluster.
	StatusDeployed Status = "deployed"
	// StatusUninstalled means the release was uninstalled with its history kept.
	StatusUninstalled Status = "uninstalled"
	// StatusSuperseded means a later revision replaced this one.
	StatusSuperseded Status = "superseded"
	// StatusFailed means the operation that created the revision failed.
	StatusFailed Status = "failed"
	// StatusUninstalling means an uninstall is in progress.
	StatusUninstalling Status = "uninstalling"
	// StatusPendingInstall means an install is in progress.
	StatusPendingInstall Status = "pending-install"
	// StatusPendingUpgrade means an upgrade is in progress.
	StatusPendingUpgrade Status = "pending-upgrade"
	// StatusPendingRollback means a rollback is in progress.
	StatusPendingRollback Status = "pending-rollback"
)

// Statuses lists every status in the order Helm documents them.
func Statuses() []Status {
	return []Status{
		StatusUnknown, StatusDeployed, StatusUninstalled, StatusSuperseded, StatusFailed,
		StatusUninstalling, StatusPendingInstall, StatusPendingUpgrade, StatusPendingRollback,
	}
}

// String returns the status as Helm spells it.
func (s Status) String() string { return string(s) }

// IsPending reports whether the status is an operation in progress (install,
// upgrade or rollback).
func (s Status) IsPending() bool {
	return s == StatusPendingInstall || s == StatusPendingUpgrade || s == StatusPendingRollback
}

// Info describes a release revision: its status, when it was deployed, and
// the notes rendered from the chart's NOTES.txt.
type Info struct {
	// FirstDeployed is when the first revision of the release was deployed.
	FirstDeployed time.Time
	// LastDeployed is when this revision was deployed.
	LastDeployed time.Time
	// Deleted is when the release was uninstalled; zero if it was not.
	Deleted time.Time
	// Description is a one-line log entry of what happened to the revision.
	Description string
	// Status is the state of the revision.
	Status Status
	// RollbackRevision is the revision a rollback restored (Helm v4's field;
	// zero when the revision is not a rollback).
	RollbackRevision int
	// Notes is the rendered NOTES.txt of the chart.
	Notes string
	// Resources holds live objects for display, keyed by kind. Helm fills it
	// for `status` output only and never stores it; it is kept here so a
	// record carrying it survives a round trip.
	Resources map[string][]json.RawMessage
}

// infoJSON is Info in Helm's JSON layout and field order.
type infoJSON struct {
	FirstDeployed    jsonTime                     `json:"first_deployed"`
	LastDeployed     jsonTime                     `json:"last_deployed"`
	Deleted          jsonTime                     `json:"deleted"`
	Description      string                       `json:"description,omitempty"`
	Status           Status                       `json:"status,omitempty"`
	RollbackRevision int                          `json:"rollback_revision,omitempty"`
	Notes            string                       `json:"notes,omitempty"`
	Resources        map[string][]json.RawMessage `json:"resources,omitempty"`
}

// MarshalJSON writes the info as Helm v3 does: every time field present, a
// zero time written as "".
func (i Info) MarshalJSON() ([]byte, error) {
	return json.Marshal(infoJSON{
		FirstDeployed:    jsonTime(i.FirstDeployed),
		LastDeployed:     jsonTime(i.LastDeployed),
		Deleted:          jsonTime(i.Deleted),
		Description:      i.Description,
		Status:           i.Status,
		RollbackRevision: i.RollbackRevision,
		Notes:            i.Notes,
		Resources:        i.Resources,
	})
}

// UnmarshalJSON reads the info as Helm v3 or v4 wrote it (a zero time is ""
// in v3 and absent in v4).
func (i *Info) UnmarshalJSON(b []byte) error {
	var v infoJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*i = Info{
		FirstDeployed:    time.Time(v.FirstDeployed),
		LastDeployed:     time.Time(v.LastDeployed),
		Deleted:          time.Time(v.Deleted),
		Description:      v.Description,
		Status:           v.Status,
		RollbackRevision: v.RollbackRevision,
		Notes:            v.Notes,
		Resources:        v.Resources,
	}
	return nil
}

// HookEvent is a point in a release's life at which a hook runs.
type HookEvent string

// The hook events, spelled as in the helm.sh/hook annotation.
const (
	HookPreInstall   HookEvent = "pre-install"
	HookPostInstall  HookEvent = "post-install"
	HookPreDelete    HookEvent = "pre-delete"
	HookPostDelete   HookEvent = "post-delete"
	HookPreUpgrade   HookEvent = "pre-upgrade"
	HookPostUpgrade  HookEvent = "post-upgrade"
	HookPreRollback  HookEvent = "pre-rollback"
	HookPostRollback HookEvent = "post-rollback"
	HookTest         HookEvent = "test"
)

// String returns the event as spelled in the annotation.
func (e HookEvent) String() string { return string(e) }

// HookDeletePolicy says when a hook's resource is deleted.
type HookDeletePolicy string

// The hook delete policies, spelled as in the helm.sh/hook-delete-policy annotation.
const (
	HookSucceeded          HookDeletePolicy = "hook-succeeded"
	HookFailed             HookDeletePolicy = "hook-failed"
	HookBeforeHookCreation HookDeletePolicy = "before-hook-creation"
)

// String returns the policy as spelled in the annotation.
func (p HookDeletePolicy) String() string { return string(p) }

// HookOutputLogPolicy says when a hook's logs are copied to the user.
type HookOutputLogPolicy string

// The hook output log policies, spelled as in the
// helm.sh/hook-output-log-policy annotation.
const (
	HookOutputOnSucceeded HookOutputLogPolicy = "hook-succeeded"
	HookOutputOnFailed    HookOutputLogPolicy = "hook-failed"
)

// String returns the policy as spelled in the annotation.
func (p HookOutputLogPolicy) String() string { return string(p) }

// The annotations that make a template a hook and tune it.
const (
	HookAnnotation          = "helm.sh/hook"
	HookWeightAnnotation    = "helm.sh/hook-weight"
	HookDeleteAnnotation    = "helm.sh/hook-delete-policy"
	HookOutputLogAnnotation = "helm.sh/hook-output-log-policy"
)

// Hook is a rendered hook resource of a release.
type Hook struct {
	// Name is the resource's metadata.name.
	Name string `json:"name,omitempty"`
	// Kind is the resource's kind.
	Kind string `json:"kind,omitempty"`
	// Path is the chart-relative path of the template, e.g. "mychart/templates/job.yaml".
	Path string `json:"path,omitempty"`
	// Manifest is the rendered resource.
	Manifest string `json:"manifest,omitempty"`
	// Events are the events the hook runs on.
	Events []HookEvent `json:"events,omitempty"`
	// LastRun records the hook's last execution.
	LastRun HookExecution `json:"last_run"`
	// Weight orders hooks of the same event (ascending).
	Weight int `json:"weight,omitempty"`
	// DeletePolicies say when the hook's resource is deleted.
	DeletePolicies []HookDeletePolicy `json:"delete_policies,omitempty"`
	// OutputLogPolicies say when the hook's logs are shown.
	OutputLogPolicies []HookOutputLogPolicy `json:"output_log_policies,omitempty"`
}

// HookPhase is the outcome of a hook's execution.
type HookPhase string

// The hook phases, spelled as Helm records them.
const (
	HookPhaseUnknown   HookPhase = "Unknown"
	HookPhaseRunning   HookPhase = "Running"
	HookPhaseSucceeded HookPhase = "Succeeded"
	HookPhaseFailed    HookPhase = "Failed"
)

// String returns the phase as Helm spells it.
func (p HookPhase) String() string { return string(p) }

// HookExecution records the last execution of a hook.
type HookExecution struct {
	// StartedAt is when the hook started; zero if it never ran.
	StartedAt time.Time
	// CompletedAt is when the hook finished; zero if it has not.
	CompletedAt time.Time
	// Phase is the outcome of the execution.
	Phase HookPhase
}

type hookExecutionJSON struct {
	StartedAt   jsonTime  `json:"started_at"`
	CompletedAt jsonTime  `json:"completed_at"`
	Phase       HookPhase `json:"phase"`
}

// MarshalJSON writes the execution as Helm v3 does (a zero time as "").
func (h HookExecution) MarshalJSON() ([]byte, error) {
	return json.Marshal(hookExecutionJSON{
		StartedAt:   jsonTime(h.StartedAt),
		CompletedAt: jsonTime(h.CompletedAt),
		Phase:       h.Phase,
	})
}

// UnmarshalJSON reads the execution as Helm v3 or v4 wrote it.
func (h *HookExecution) UnmarshalJSON(b []byte) error {
	var v hookExecutionJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*h = HookExecution{StartedAt: time.Time(v.StartedAt), CompletedAt: time.Time(v.CompletedAt), Phase: v.Phase}
	return nil
}

// jsonTime is a time in Helm's JSON form: RFC 3339 with nanoseconds and the
// writer's offset, and "" for the zero time. null and "" both read as zero.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte(`""`), nil
	}
	return time.Time(t).MarshalJSON()
}

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		*t = jsonTime{}
		return nil
	}
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("time %s: %w", b, err)
	}
	*t = jsonTime(tt)
	return nil
}
