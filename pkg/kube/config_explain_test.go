package kube

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorsNameTheMissingFile checks that a missing kubeconfig is
// reported as missing, by its path, with how to point barge at a cluster,
// and never with client-go's advice about KUBERNETES_MASTER.
func TestConfigErrorsNameTheMissingFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosuch.kubeconfig")
	tests := []struct {
		name       string
		kubeconfig string // --kubeconfig
		env        string // $KUBECONFIG
		home       string
		want       []string
	}{
		{"--kubeconfig", missing, "", dir, []string{"kubeconfig " + missing + " (--kubeconfig) does not exist", "--kubeconfig FILE"}},
		{"$KUBECONFIG", "", missing, dir, []string{"the kubeconfig file " + missing + " ($KUBECONFIG) does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("HOME", tt.home)
			_, err := Config{Kubeconfig: tt.kubeconfig}.RESTConfig()
			if err == nil {
				t.Fatal("RESTConfig succeeded without a kubeconfig")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "KUBERNETES_MASTER") {
				t.Errorf("error still gives client-go's advice: %v", err)
			}
		})
	}
}

// TestNoConfigNamesTheDefaultFile checks the message when nothing names a
// kubeconfig and the default file does not exist.
func TestNoConfigNamesTheDefaultFile(t *testing.T) {
	home := filepath.Join(t.TempDir(), ".kube", "config")
	err := noConfig(false, []string{home})
	want := home + " does not exist and neither --kubeconfig nor $KUBECONFIG is set"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
}
