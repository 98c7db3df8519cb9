package kubeschema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLifecycleOf(t *testing.T) {
	tests := []struct {
		apiVersion, kind string
		want             Lifecycle
		wantOK           bool
	}{
		{"extensions/v1beta1", "Ingress", Lifecycle{Introduced: Version{1, 1}, Deprecated: Version{1, 14}, Removed: Version{1, 22}, Replacement: "networking.k8s.io/v1 Ingress"}, true},
		{"policy/v1beta1", "PodSecurityPolicy", Lifecycle{Deprecated: Version{1, 21}, Removed: Version{1, 25}}, true},
		{"extensions/v1beta1", "Deployment", Lifecycle{Introduced: Version{1, 1}, Deprecated: Version{1, 8}, Removed: Version{1, 16}, Replacement: "apps/v1 Deployment"}, true},
		{"batch/v1beta1", "CronJob", Lifecycle{Introduced: Version{1, 8}, Deprecated: Version{1, 21}, Removed: Version{1, 25}, Replacement: "batch/v1 CronJob"}, true},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", Lifecycle{Deprecated: Version{1, 23}, Removed: Version{1, 26}, Replacement: "autoscaling/v2 HorizontalPodAutoscaler"}, true},
		{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", Lifecycle{Deprecated: Version{1, 16}, Removed: Version{1, 22}, Replacement: "apiextensions.k8s.io/v1 CustomResourceDefinition"}, true},
		{"apps/v1", "Deployment", Lifecycle{Introduced: Version{1, 9}}, true},
		{"example.com/v1", "Widget", Lifecycle{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.apiVersion+" "+tt.kind, func(t *testing.T) {
			got, ok := LifecycleOf(tt.apiVersion, tt.kind)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LifecycleOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLifecycleIn(t *testing.T) {
	ingress, _ := LifecycleOf("extensions/v1beta1", "Ingress")
	tests := []struct {
		version             Version
		deprecated, removed bool
	}{
		{Version{1, 13}, false, false},
		{Version{1, 14}, true, false},
		{Version{1, 22}, true, true},
		{Version{2, 0}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.version.String(), func(t *testing.T) {
			if got := ingress.DeprecatedIn(tt.version); got != tt.deprecated {
				t.Errorf("DeprecatedIn = %v", got)
			}
			if got := ingress.RemovedIn(tt.version); got != tt.removed {
				t.Errorf("RemovedIn = %v", got)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{"v1.37", Version{1, 37}, false},
		{"1.37", Version{1, 37}, false},
		{"1.37.2", Version{1, 37}, false},
		{"v1.37.0-rc.1", Version{1, 37}, false},
		{"v1.30+k3s", Version{1, 30}, false},
		{"1", Version{}, true},
		{"x.y", Version{}, true},
		{"", Version{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVersion(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseVersion(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
