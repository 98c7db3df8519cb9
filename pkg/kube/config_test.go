package kube

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRESTConfigIdentity(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	const file = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://10.0.0.1:6443"}
users:
- name: u
  user: {token: abc}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`
	if err := os.WriteFile(kubeconfig, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		cfg        Config
		wantUser   string
		wantGroups []string
		wantServer string
	}{
		{name: "kubeconfig's own identity", cfg: Config{Kubeconfig: kubeconfig}},
		{name: "impersonated user", cfg: Config{Kubeconfig: kubeconfig, AsUser: "jane"}, wantUser: "jane"},
		{name: "impersonated user and groups", cfg: Config{Kubeconfig: kubeconfig, AsUser: "jane", AsGroups: []string{"dev", "ops"}},
			wantUser: "jane", wantGroups: []string{"dev", "ops"}},
		{name: "tls server name", cfg: Config{Kubeconfig: kubeconfig, TLSServerName: "api.internal"}, wantServer: "api.internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := tt.cfg.RESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			if rc.Impersonate.UserName != tt.wantUser || !slices.Equal(rc.Impersonate.Groups, tt.wantGroups) {
				t.Errorf("impersonate = %q %v, want %q %v", rc.Impersonate.UserName, rc.Impersonate.Groups, tt.wantUser, tt.wantGroups)
			}
			if rc.TLSClientConfig.ServerName != tt.wantServer {
				t.Errorf("TLS server name = %q, want %q", rc.TLSClientConfig.ServerName, tt.wantServer)
			}
		})
	}
}
