package charts

import (
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// chartDir returns the path of one of the charts next to this file.
func chartDir(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}

// manifest is one rendered object: its kind/name and its YAML.
type manifest struct {
	Kind, Name string
	YAML       string
}

// splitManifests cuts `helm template` output into objects.
func splitManifests(t *testing.T, out string) map[string]manifest {
	t.Helper()
	objs := map[string]manifest{}
	for _, doc := range strings.Split(out, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if meta.Kind == "" {
			continue
		}
		key := meta.Kind + "/" + meta.Metadata.Name
		objs[key] = manifest{Kind: meta.Kind, Name: meta.Metadata.Name, YAML: doc}
	}
	return objs
}

func decode[T any](t *testing.T, objs map[string]manifest, key string) *T {
	t.Helper()
	m, ok := objs[key]
	if !ok {
		t.Fatalf("no %s among %v", key, keys(objs))
	}
	var v T
	if err := yaml.UnmarshalStrict([]byte(m.YAML), &v); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return &v
}

func keys(objs map[string]manifest) []string {
	var ks []string
	for k := range objs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestJoomlaLint(t *testing.T) {
	dir := chartDir("joomla")
	tests := []struct {
		name string
		args []string
	}{
		{"defaults", nil},
		{"talk values", []string{"-f", filepath.Join(dir, "examples", "talk-values.yaml")}},
		{"high availability", []string{"-f", filepath.Join(dir, "examples", "ha-values.yaml")}},
		{"mysql", []string{"--set", "database.engine=mysql"}},
		{"external database", []string{"--set", "database.enabled=false,externalDatabase.host=db.example.com"}},
		{"no persistence", []string{"--set", "persistence.enabled=false,database.persistence.enabled=false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustHelm(t, nil, append([]string{"lint", "--strict", dir}, tt.args...)...)
			assertCleanLint(t, out)
		})
	}
}

// TestJoomlaTalkValues renders the chart with the values file of the talk
// and checks what its audience was promised.
func TestJoomlaTalkValues(t *testing.T) {
	dir := chartDir("joomla")
	out := mustHelm(t, nil, "template", "site", dir, "--namespace", "web", "-f", filepath.Join(dir, "examples", "talk-values.yaml"))
	objs := splitManifests(t, out)

	want := []string{
		"Deployment/site-joomla", "Ingress/site-joomla", "PersistentVolumeClaim/site-joomla-apache",
		"PersistentVolumeClaim/site-joomla-joomla", "Secret/site-joomla", "Service/site-joomla",
		"Service/site-joomla-db", "StatefulSet/site-joomla-db",
	}
	var got []string
	for k, m := range objs {
		if strings.Contains(m.YAML, "helm.sh/hook") {
			continue
		}
		got = append(got, k)
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	secret := decode[corev1.Secret](t, objs, "Secret/site-joomla")
	if got := string(secret.Data["joomla-password"]); got != "toto" {
		t.Errorf("joomla-password = %q, want toto", got)
	}
	for _, k := range []string{"database-password", "database-root-password"} {
		if len(secret.Data[k]) < 16 {
			t.Errorf("%s = %q, want a generated password", k, secret.Data[k])
		}
	}

	for name, size := range map[string]string{"site-joomla-joomla": "8Gi", "site-joomla-apache": "1Gi"} {
		pvc := decode[corev1.PersistentVolumeClaim](t, objs, "PersistentVolumeClaim/"+name)
		if got := pvc.Spec.Resources.Requests.Storage().String(); got != size {
			t.Errorf("%s size = %s, want %s", name, got, size)
		}
		if diff := cmp.Diff([]corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes); diff != "" {
			t.Errorf("%s access modes (-want +got):\n%s", name, diff)
		}
	}

	svc := decode[corev1.Service](t, objs, "Service/site-joomla")
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("service type = %s, want ClusterIP", svc.Spec.Type)
	}
	ing := decode[networkingv1.Ingress](t, objs, "Ingress/site-joomla")
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "joomla.local" {
		t.Errorf("ingress rules = %+v, want one for joomla.local", ing.Spec.Rules)
	}
	if len(ing.Spec.TLS) != 0 {
		t.Errorf("ingress tls = %+v, want none (tls: false)", ing.Spec.TLS)
	}

	dep := decode[appsv1.Deployment](t, objs, "Deployment/site-joomla")
	env := map[string]corev1.EnvVar{}
	for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e
	}
	if got := env["JOOMLA_ADMIN_USERNAME"].Value; got != "user" {
		t.Errorf("JOOMLA_ADMIN_USERNAME = %q, want user", got)
	}
	if got := env["JOOMLA_ADMIN_EMAIL"].Value; got != "user@example.com" {
		t.Errorf("JOOMLA_ADMIN_EMAIL = %q, want user@example.com", got)
	}
	if got := env["JOOMLA_DB_HOST"].Value; got != "site-joomla-db:3306" {
		t.Errorf("JOOMLA_DB_HOST = %q, want site-joomla-db:3306", got)
	}
	if dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy = %q, want Recreate for ReadWriteOnce volumes", dep.Spec.Strategy.Type)
	}
	if img := dep.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "joomla:") {
		t.Errorf("image = %q, want the official joomla image", img)
	}
	sts := decode[appsv1.StatefulSet](t, objs, "StatefulSet/site-joomla-db")
	if img := sts.Spec.Template.Spec.Containers[0].Image; !strings.HasPrefix(img, "mariadb:") {
		t.Errorf("database image = %q, want the official mariadb image", img)
	}
	dbSvc := decode[corev1.Service](t, objs, "Service/site-joomla-db")
	if dbSvc.Spec.ClusterIP != corev1.ClusterIPNone || sts.Spec.ServiceName != dbSvc.Name {
		t.Errorf("database Service: clusterIP %q, StatefulSet serviceName %q; want a headless Service governing the StatefulSet", dbSvc.Spec.ClusterIP, sts.Spec.ServiceName)
	}
}

func TestJoomlaHighAvailability(t *testing.T) {
	dir := chartDir("joomla")
	out := mustHelm(t, nil, "template", "site", dir, "-f", filepath.Join(dir, "examples", "talk-values.yaml"),
		"--set", "highAvailability.enabled=true,highAvailability.replicaCount=4,highAvailability.database.replicaCount=3")
	objs := splitManifests(t, out)

	dep := decode[appsv1.Deployment](t, objs, "Deployment/site-joomla")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 4 {
		t.Errorf("joomla replicas = %v, want 4", dep.Spec.Replicas)
	}
	if dep.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		t.Error("strategy Recreate in high availability, want rolling updates")
	}
	if a := dep.Spec.Template.Spec.Affinity; a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Errorf("joomla affinity = %+v, want a preferred pod anti-affinity", a)
	}
	for _, name := range []string{"site-joomla-joomla", "site-joomla-apache"} {
		pvc := decode[corev1.PersistentVolumeClaim](t, objs, "PersistentVolumeClaim/"+name)
		if diff := cmp.Diff([]corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}, pvc.Spec.AccessModes); diff != "" {
			t.Errorf("%s access modes (-want +got):\n%s", name, diff)
		}
	}
	for _, name := range []string{"site-joomla", "site-joomla-db"} {
		pdb := decode[policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget/"+name)
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("%s maxUnavailable = %v, want 1", name, pdb.Spec.MaxUnavailable)
		}
	}

	sts := decode[appsv1.StatefulSet](t, objs, "StatefulSet/site-joomla-db")
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
		t.Errorf("database replicas = %v, want 3", sts.Spec.Replicas)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Errorf("database volumeClaimTemplates = %d, want one volume per pod", len(sts.Spec.VolumeClaimTemplates))
	}
	script := strings.Join(sts.Spec.Template.Spec.Containers[0].Command, " ")
	wantPeers := "gcomm://site-joomla-db-0.site-joomla-db-peers,site-joomla-db-1.site-joomla-db-peers,site-joomla-db-2.site-joomla-db-peers"
	if !strings.Contains(script, wantPeers) {
		t.Errorf("database command does not join %s:\n%s", wantPeers, script)
	}
	peers := decode[corev1.Service](t, objs, "Service/site-joomla-db-peers")
	if peers.Spec.ClusterIP != corev1.ClusterIPNone || !peers.Spec.PublishNotReadyAddresses || sts.Spec.ServiceName != peers.Name {
		t.Errorf("peers Service = %+v; want headless, publishing unready pods, governing the StatefulSet", peers.Spec)
	}
	client := decode[corev1.Service](t, objs, "Service/site-joomla-db")
	if client.Spec.ClusterIP == corev1.ClusterIPNone {
		t.Error("database client Service is headless in high availability, want a balanced ClusterIP")
	}

	hard := splitManifests(t, mustHelm(t, nil, "template", "site", dir, "--set", "highAvailability.enabled=true,highAvailability.antiAffinity=hard"))
	dep = decode[appsv1.Deployment](t, hard, "Deployment/site-joomla")
	if a := dep.Spec.Template.Spec.Affinity; a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Errorf("hard anti-affinity = %+v, want a required term", a)
	}
}

func TestJoomlaRenderErrors(t *testing.T) {
	dir := chartDir("joomla")
	tests := []struct {
		name    string
		set     string
		wantErr string
	}{
		{"ha with mysql", "highAvailability.enabled=true,database.engine=mysql", "highAvailability.enabled needs database.engine mariadb"},
		{"ha without persistence", "highAvailability.enabled=true,persistence.enabled=false", "highAvailability.enabled needs persistence.enabled"},
		{"external database without host", "database.enabled=false", "externalDatabase.host is required"},
		{"unknown engine", "database.engine=postgres", "/database/engine"},
		{"bad service type", "service.type=Ingress", "/service/type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runHelm(t, nil, "template", "site", dir, "--set", tt.set)
			if err == nil {
				t.Fatalf("helm template succeeded, want an error containing %q:\n%s", tt.wantErr, out)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantErr, errOut)
			}
		})
	}
}

func TestJoomlaMySQL(t *testing.T) {
	objs := splitManifests(t, mustHelm(t, nil, "template", "site", chartDir("joomla"), "--set", "database.engine=mysql,database.password=s3cret"))
	sts := decode[appsv1.StatefulSet](t, objs, "StatefulSet/site-joomla-db")
	c := sts.Spec.Template.Spec.Containers[0]
	if !strings.HasPrefix(c.Image, "mysql:") {
		t.Errorf("image = %q, want the official mysql image", c.Image)
	}
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	want := []string{"MYSQL_ROOT_PASSWORD", "MYSQL_DATABASE", "MYSQL_USER", "MYSQL_PASSWORD"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	secret := decode[corev1.Secret](t, objs, "Secret/site-joomla")
	if got := string(secret.Data["database-password"]); got != "s3cret" {
		t.Errorf("database-password = %q, want s3cret", secret.Data["database-password"])
	}
}
