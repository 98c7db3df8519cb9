package release

import (
	"fmt"
	"strings"

	"github.com/bargehq/barge/pkg/chart/lint"
	"github.com/bargehq/barge/pkg/chart/render"
	"github.com/bargehq/barge/pkg/kubeschema"
)

// ObjectsError is a rendered chart whose objects the API server would
// refuse, found offline before anything was applied.
type ObjectsError struct {
	// Release is the release's name.
	Release string
	// SchemaVersion is the Kubernetes version of the schema checked
	// against, e.g. "v1.37".
	SchemaVersion string
	// Findings are what was found, each with its file, line and object.
	Findings []lint.Finding
}

func (e *ObjectsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %q: %d object(s) of the chart would be refused by the API server (checked against the Kubernetes %s API schema before anything was applied; --disable-openapi-validation skips this check):", e.Release, len(e.Findings), e.SchemaVersion)
	for _, f := range e.Findings {
		msg := f.Message
		if f.Object != "" {
			msg = f.Object + ": " + msg
		}
		fmt.Fprintf(&b, "\n  %s: %s [%s]", f.Location(), msg, f.Rule)
	}
	return b.String()
}

// CheckObjects checks the objects of res, the render of release name in
// namespace, as the API server of the Kubernetes version of caps would
// (nil caps: render's defaults), against schema: an *ObjectsError lists
// those it would refuse. It is the check install and upgrade make before
// they apply anything, for commands that render without the engine
// (template --validate). res should be rendered with KeepObjects.
func CheckObjects(schema *kubeschema.Schema, name, namespace string, res *render.Result, caps *render.Capabilities) error {
	if caps == nil {
		caps = render.DefaultCapabilities()
	}
	findings := lint.Objects(lint.Documents(res), lint.ObjectOptions{Schema: schema, KubeVersion: caps.KubeVersion.Version, Namespace: namespace})
	var refused []lint.Finding
	for _, f := range findings {
		if lint.Refused(f.Rule) {
			refused = append(refused, f)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return &ObjectsError{Release: name, SchemaVersion: schema.Version(), Findings: refused}
}
