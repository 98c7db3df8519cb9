package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// execBargeEnv runs barge's root command in process with env as its
// environment and returns stdout, stderr and the error.
func execBargeEnv(env []string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := NewRootCmd(strings.NewReader(""), &out, &errOut, env)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestSettingsFromHelmAndBargeVariables(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"helm's variables configure barge", []string{"HELM_NAMESPACE=helmns", "HELM_MAX_HISTORY=3", "HELM_KUBECONTEXT=ctx"},
			[]string{`BARGE_NAMESPACE="helmns"`, `HELM_NAMESPACE="helmns"`, `HELM_MAX_HISTORY="3"`, `BARGE_KUBECONTEXT="ctx"`}},
		{"barge's variable wins over helm's", []string{"HELM_NAMESPACE=helmns", "BARGE_NAMESPACE=bargens"},
			[]string{`BARGE_NAMESPACE="bargens"`, `HELM_NAMESPACE="bargens"`}},
		{"a barge variable set empty still wins", []string{"HELM_DEBUG=true", "BARGE_DEBUG="},
			[]string{`BARGE_DEBUG="false"`}},
		{"the default history limit is Helm's", nil, []string{`BARGE_MAX_HISTORY="10"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := execBargeEnv(tc.env, "env")
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w+"\n") {
					t.Errorf("barge env does not print %s:\n%s", w, out)
				}
			}
			if strings.Contains(out, "HELM_KUBECONFIG") {
				t.Errorf("barge env prints HELM_KUBECONFIG, a variable Helm does not have:\n%s", out)
			}
		})
	}
}

func TestHistoryMaxDefaultFromHelmMaxHistory(t *testing.T) {
	root := NewRootCmd(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, []string{"HELM_MAX_HISTORY=4"})
	for _, path := range [][]string{{"upgrade"}, {"rollback"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := cmd.Flags().Lookup("history-max").DefValue; got != "4" {
			t.Errorf("%s --history-max defaults to %s with HELM_MAX_HISTORY=4, want 4", path[0], got)
		}
	}
}

func TestHelm2ValuesSpelling(t *testing.T) {
	dir := t.TempDir()
	vals := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(vals, []byte("message: from-helm2-flag\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execBargeEnv(nil, "template", "web", fixture("web"), "--f", vals)
	if err != nil {
		t.Fatalf("template --f: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "from-helm2-flag") {
		t.Errorf("values of --f not used:\n%s", out)
	}
	if want := "Note: --f is Helm 2's spelling; use -f (or --values)\n"; errOut != want {
		t.Errorf("stderr = %q, want %q", errOut, want)
	}
	if _, errOut, err := execBargeEnv(nil, "template", "web", fixture("web"), "-f", vals); err != nil || errOut != "" {
		t.Errorf("template -f: err %v, stderr %q; want no note", err, errOut)
	}
}

func TestHelm2Name(t *testing.T) {
	tests := []struct {
		name     string
		flag     string
		args     []string
		generate bool
		want     []string
		wantErr  string
		wantNote string
	}{
		{"no --name", "", []string{"web", "./web"}, false, []string{"web", "./web"}, "", ""},
		{"--name and a chart", "joomla1", []string{"stable/joomla"}, false, []string{"joomla1", "stable/joomla"}, "",
			"Note: --name is Helm 2's spelling; the release name is now the first argument: barge install joomla1 stable/joomla\n"},
		{"--name and a name argument", "joomla1", []string{"joomla2", "stable/joomla"}, false, nil, "with --name, give only the chart", ""},
		{"--name and --generate-name", "joomla1", []string{"stable/joomla"}, true, nil, "cannot set --name and also --generate-name", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var note bytes.Buffer
			got, err := helm2Name(&note, tc.flag, tc.args, tc.generate)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") || note.String() != tc.wantNote {
				t.Errorf("got %q, note %q; want %q, note %q", got, note.String(), tc.want, tc.wantNote)
			}
		})
	}
}
