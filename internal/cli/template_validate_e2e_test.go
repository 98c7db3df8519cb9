package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bargehq/barge/internal/localcluster"
)

// TestE2ETemplateValidate renders with --validate against the local
// cluster: the capabilities are the cluster's, and kinds the cluster does
// not serve are refused.
func TestE2ETemplateValidate(t *testing.T) {
	c := localcluster.Get(t)
	charts := filepath.Join("..", "..", "pkg", "chart", "render", "testdata", "charts")
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		root := NewRootCmd(strings.NewReader(""), &out, &errOut, nil)
		root.SetArgs(append([]string{"--kubeconfig", c.KubeconfigPath}, args...))
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}
	t.Run("capabilities come from the cluster", func(t *testing.T) {
		// tricky's ConfigMap holds numbers and lists on purpose, which the
		// object check refuses: it is turned off here.
		out, err := run("template", "rel", filepath.Join(charts, "tricky"), "--validate", "--kube-version", "1.20.0", "--disable-openapi-validation")
		if err != nil {
			t.Fatal(err)
		}
		if want := `capsKube: "{\"Version\":\"v1.37.`; !strings.Contains(out, want) {
			t.Errorf("output does not show the cluster's version (%s...):\n%s", want, out)
		}
	})
	t.Run("kinds the cluster does not serve are refused", func(t *testing.T) {
		_, err := run("template", "rel", filepath.Join(charts, "features"), "--validate")
		if err == nil || !strings.Contains(err.Error(), `no matches for kind "Widget" in version "example.com/v1"`) {
			t.Errorf("error = %v, want the Widget kind refused", err)
		}
	})
}
