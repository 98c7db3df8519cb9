package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bargehq/barge/pkg/kubeschema"
)

// TestSARIFValidates writes the SARIF log of fixtures with findings of
// every severity, with and without lines, and validates it against the
// SARIF 2.1.0 schema (OASIS, errata 01: testdata/sarif-schema-2.1.0.json).
func TestSARIFValidates(t *testing.T) {
	src, err := os.ReadFile("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := kubeschema.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var reports []Report
	for _, dir := range []string{"testdata/charts/chart-icon", "testdata/charts/object-schema-type", "testdata/charts/dependency-missing", "testdata/charts/template-indent"} {
		files, _ := readFixture(t, dir)
		reports = append(reports, Chart(context.Background(), dir, files, Options{Schema: ks})...)
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, reports, SARIFTool{Name: "barge", Version: "v0.0.0-test", InformationURI: "https://github.com/bargehq/barge"}); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the SARIF log does not validate against SARIF 2.1.0:\n%v\n%s", err, buf.String())
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, r := range log.Runs[0].Results {
		levels[r.RuleID] = r.Level
		loc := r.Locations[0].PhysicalLocation
		if r.RuleID == "object-schema-type" && (loc.ArtifactLocation.URI != "testdata/charts/object-schema-type/templates/deployment.yaml" || loc.Region == nil || loc.Region.StartLine != 6) {
			t.Errorf("object-schema-type located at %+v, want testdata/charts/object-schema-type/templates/deployment.yaml line 6", loc)
		}
	}
	want := map[string]string{"chart-icon": "note", "object-schema-type": "error", "dependency-missing": "warning", "template-indent": "warning"}
	for id, level := range want {
		if levels[id] != level {
			t.Errorf("result of %s has level %q, want %q", id, levels[id], level)
		}
	}
	if strings.Count(buf.String(), `"ruleId"`) != len(log.Runs[0].Results) {
		t.Error("every result must name its rule")
	}
}
