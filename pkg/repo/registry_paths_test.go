package repo

import (
	"path/filepath"
	"testing"
)

func TestRegistryConfigFromEnv(t *testing.T) {
	tests := []struct {
		name, goos string
		env        map[string]string
		want       string
	}{
		{"linux default", "linux", map[string]string{"HOME": "/home/u"}, "/home/u/.config/helm/registry/config.json"},
		{"xdg", "linux", map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "/xc"}, "/xc/helm/registry/config.json"},
		{"helm config home", "linux", map[string]string{"HELM_CONFIG_HOME": "/hc", "XDG_CONFIG_HOME": "/xc"}, "/hc/registry/config.json"},
		{"barge config home wins", "linux", map[string]string{"HELM_CONFIG_HOME": "/hc", "BARGE_CONFIG_HOME": "/bc"}, "/bc/registry/config.json"},
		{"helm registry config", "linux", map[string]string{"HELM_REGISTRY_CONFIG": "/r.json", "HELM_CONFIG_HOME": "/hc"}, "/r.json"},
		{"barge registry config wins", "linux", map[string]string{"HELM_REGISTRY_CONFIG": "/r.json", "BARGE_REGISTRY_CONFIG": "/b.json"}, "/b.json"},
		{"empty variable is unset", "linux", map[string]string{"HELM_REGISTRY_CONFIG": "", "HOME": "/h"}, "/h/.config/helm/registry/config.json"},
		{"darwin", "darwin", map[string]string{"HOME": "/Users/u"}, "/Users/u/Library/Preferences/helm/registry/config.json"},
		{"windows", "windows", map[string]string{"APPDATA": "/appdata"}, "/appdata/helm/registry/config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := registryConfigFromEnv(tt.goos, func(k string) string { return tt.env[k] })
			if want := filepath.FromSlash(tt.want); got != want {
				t.Errorf("registryConfigFromEnv = %q, want %q", got, want)
			}
		})
	}
}
