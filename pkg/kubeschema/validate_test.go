package kubeschema

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

func embeddedSchema(t testing.TB) *Schema {
	t.Helper()
	s, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
  annotations:
    checksum/config: abc
spec:
  replicas: 3
  revisionHistoryLimit: 10.0
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      serviceAccountName: web
      securityContext:
        fsGroup: 1001
        runAsNonRoot: true
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 1
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchExpressions:
                    - {key: app, operator: In, values: [web]}
      tolerations: null
      containers:
        - name: web
          image: nginx:1.29
          imagePullPolicy: IfNotPresent
          args: ["--port", "8080"]
          env:
            - name: MODE
              value: "yes"
            - name: POD_IP
              valueFrom:
                fieldRef:
                  fieldPath: status.podIP
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /
              port: http
            initialDelaySeconds: 10
          resources:
            limits:
              cpu: 1
              memory: 512Mi
            requests:
              cpu: 100m
              memory: 0.5Gi
          volumeMounts:
            - name: data
              mountPath: /data
      volumes:
        - name: data
          emptyDir: {}
        - name: config
          configMap:
            name: web
            defaultMode: 0644
`

// TestValidDocuments checks that objects a cluster accepts give no problem.
func TestValidDocuments(t *testing.T) {
	s := embeddedSchema(t)
	tests := []struct {
		name string
		doc  string
	}{
		{"Deployment", deployment},
		{"StatefulSet", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 8Gi}}
`},
		{"Service", `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: ClusterIP
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: https, port: 443, targetPort: 8443, nodePort: null}
`},
		{"Ingress", `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "true"}
spec:
  ingressClassName: nginx
  tls: [{hosts: [example.com], secretName: tls}]
  rules:
    - host: example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
`},
		{"ConfigMap", `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  a: "1"
  b: |
    text
binaryData:
  c: aGVsbG8=
`},
		{"Secret", `apiVersion: v1
kind: Secret
metadata: {name: s}
type: Opaque
data: {password: cGFzcw==}
stringData: {user: admin}
`},
		{"Job", `apiVersion: batch/v1
kind: Job
metadata: {name: j, annotations: {helm.sh/hook: pre-install}}
spec:
  backoffLimit: 2
  ttlSecondsAfterFinished: 100
  template:
    spec:
      restartPolicy: Never
      containers: [{name: j, image: busybox, command: [sh, -c, "true"]}]
`},
		{"CronJob", `apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  schedule: "*/5 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox}]
`},
		{"HorizontalPodAutoscaler", `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`},
		{"PodDisruptionBudget", `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`},
		{"Role and RoleBinding in a List", `apiVersion: v1
kind: List
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: r}
    rules:
      - apiGroups: [""]
        resources: [pods]
        verbs: [get, list]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: RoleBinding
    metadata: {name: r}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
    subjects: [{kind: ServiceAccount, name: web, namespace: default}]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: c}
    aggregationRule:
      clusterRoleSelectors: [{matchLabels: {a: b}}]
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRoleBinding
    metadata: {name: c}
    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: c}
`},
		{"ServiceAccount", `apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
automountServiceAccountToken: false
imagePullSecrets: [{name: regcred}]
`},
		{"PersistentVolumeClaim", `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  resources: {requests: {storage: 10Gi}}
`},
		{"NetworkPolicy", `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress: [{}]
  ingress:
    - ports: [{port: 8080}, {port: http, protocol: TCP}]
      from: [{namespaceSelector: {matchLabels: {a: b}}}]
`},
		{"CustomResourceDefinition", widgetCRD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, known, err := s.ValidateDocument(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if !known {
				t.Fatal("not known")
			}
			if len(problems) > 0 {
				t.Errorf("problems: %v", problems)
			}
		})
	}
}

// TestProblems checks that each kind of problem is found, with its path,
// message and line.
func TestProblems(t *testing.T) {
	s := embeddedSchema(t)
	tests := []struct {
		name      string
		doc       string
		want      []Problem
		wantKnown bool
	}{
		{
			name: "replicas as a string",
			doc: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: "3"
  selector: {}
  template: {}
`,
			want:      []Problem{{Path: "spec.replicas", Kind: TypeMismatch, Message: `spec.replicas: expected integer, got string "3"`, Line: 5}},
			wantKnown: true,
		},
		{
			name: "YAML 1.1 boolean where a string is expected",
			doc: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      env:
        - name: DEBUG
          value: yes
        - name: PORT
          value: 8080
`,
			want: []Problem{
				{Path: "spec.containers[0].env[0].value", Kind: TypeMismatch, Message: "spec.containers[0].env[0].value: expected string, got boolean true", Line: 9},
				{Path: "spec.containers[0].env[1].value", Kind: TypeMismatch, Message: "spec.containers[0].env[1].value: expected string, got number 8080", Line: 11},
			},
			wantKnown: true,
		},
		{
			name: "misspelt field",
			doc: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicass: 3
  selector: {}
  template: {}
`,
			want:      []Problem{{Path: "spec.replicass", Kind: UnknownField, Message: `spec.replicass: unknown field (did you mean "replicas"?)`, Line: 5}},
			wantKnown: true,
		},
		{
			name: "unknown field far from any other",
			doc: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
payload: {}
`,
			want:      []Problem{{Path: "payload", Kind: UnknownField, Message: "payload: unknown field", Line: 4}},
			wantKnown: true,
		},
		{
			name: "container without a name",
			doc: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {}
  template:
    spec:
      containers:
        - image: nginx
`,
			want:      []Problem{{Path: "spec.template.spec.containers[0]", Kind: MissingRequired, Message: `spec.template.spec.containers[0]: missing required field "name"`, Line: 9}},
			wantKnown: true,
		},
		{
			name: "missing spec",
			doc: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
`,
			want:      []Problem{{Path: "", Kind: MissingRequired, Message: `missing required field "spec"`, Line: 1}},
			wantKnown: true,
		},
		{
			name: "label value as a number, and a list where an object is expected",
			doc: `apiVersion: v1
kind: Service
metadata:
  name: s
  labels:
    app.kubernetes.io/version: 3.9
spec:
  selector: [a]
`,
			want: []Problem{
				{Path: `metadata.labels["app.kubernetes.io/version"]`, Kind: TypeMismatch, Message: `metadata.labels["app.kubernetes.io/version"]: expected string, got number 3.9`, Line: 6},
				{Path: "spec.selector", Kind: TypeMismatch, Message: "spec.selector: expected object, got array", Line: 8},
			},
			wantKnown: true,
		},
		{
			name: "integer out of int32 range, and a fraction",
			doc: `apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
    - port: 4294967296
      targetPort: 80.5
`,
			want: []Problem{
				{Path: "spec.ports[0].port", Kind: TypeMismatch, Message: "spec.ports[0].port: expected 32-bit integer, got number 4294967296 (out of range)", Line: 6},
				{Path: "spec.ports[0].targetPort", Kind: TypeMismatch, Message: "spec.ports[0].targetPort: expected integer or string, got number 80.5", Line: 7},
			},
			wantKnown: true,
		},
		{
			name: "quantity as a boolean",
			doc: `apiVersion: v1
kind: ResourceQuota
metadata: {name: q}
spec:
  hard: {cpu: true}
`,
			want:      []Problem{{Path: "spec.hard.cpu", Kind: TypeMismatch, Message: `spec.hard.cpu: expected quantity (a string such as "100m" or a number), got boolean true`, Line: 5}},
			wantKnown: true,
		},
		{
			name: "a List checks each item",
			doc: `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
    data: {num: 1}
  - apiVersion: example.com/v1
    kind: Unknown
    anything: 1
`,
			want:      []Problem{{Path: "items[1].data.num", Kind: TypeMismatch, Message: "items[1].data.num: expected string, got number 1", Line: 10}},
			wantKnown: true,
		},
		{
			name: "a typed List",
			doc: `apiVersion: v1
kind: ConfigMapList
items:
  - metadata: {name: a}
    data: {num: 1}
`,
			want:      []Problem{{Path: "items[0].data.num", Kind: TypeMismatch, Message: "items[0].data.num: expected string, got number 1", Line: 5}},
			wantKnown: true,
		},
		{
			name: "a key that YAML 1.1 reads as a boolean",
			doc: `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data:
  "y": "1"
  on: 2
`,
			want:      []Problem{{Path: "data.true", Kind: TypeMismatch, Message: "data.true: expected string, got number 2", Line: 6}},
			wantKnown: true,
		},
		{
			name: "unknown kind",
			doc: `apiVersion: example.com/v1
kind: Widget
spec: {replicas: "3"}
`,
			wantKnown: false,
		},
		{
			name: "removed apiVersion",
			doc: `apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: i}
`,
			wantKnown: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known, err := s.ValidateDocument(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if known != tt.wantKnown {
				t.Errorf("known = %v, want %v", known, tt.wantKnown)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			// Validate finds the same problems, without lines.
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(tt.doc), &obj); err != nil {
				t.Fatal(err)
			}
			plain, _ := s.Validate(obj)
			for i := range got {
				got[i].Line = 0
			}
			if diff := cmp.Diff(sortedByPath(got), plain); diff != "" {
				t.Errorf("Validate differs from ValidateDocument (-document +validate):\n%s", diff)
			}
		})
	}
}

func sortedByPath(ps []Problem) []Problem {
	out := append([]Problem(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// TestValidateNumbers checks the numbers of decoders other than
// sigs.k8s.io/yaml's.
func TestValidateNumbers(t *testing.T) {
	s := embeddedSchema(t)
	tests := []struct {
		name     string
		replicas any
		want     int
	}{
		{"int64", int64(3), 0},
		{"int", 3, 0},
		{"float64 integral", 3.0, 0},
		{"float64 fraction", 3.5, 1},
		{"string", "3", 1},
		{"beyond int32", 1 << 40, 1},
		{"beyond int64", 1e19, 1},
		{"null", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := map[string]any{
				"apiVersion": "apps/v1", "kind": "Deployment",
				"spec": map[string]any{"replicas": tt.replicas, "selector": map[string]any{}, "template": map[string]any{}},
			}
			got, known := s.Validate(obj)
			if !known || len(got) != tt.want {
				t.Errorf("Validate = %v, %v; want %d problems", got, known, tt.want)
			}
		})
	}
}

func TestDocumentErrors(t *testing.T) {
	s := embeddedSchema(t)
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{"empty", "", false},
		{"comments only", "# Source: x.yaml\n", false},
		{"not YAML", "a: [b\n", true},
		{"not a mapping", "- a\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems, known, err := s.ValidateDocument(tt.doc)
			if (err != nil) != tt.wantErr || known || problems != nil {
				t.Errorf("ValidateDocument = %v, %v, %v; want error %v", problems, known, err, tt.wantErr)
			}
		})
	}
}

func TestKnown(t *testing.T) {
	s := embeddedSchema(t)
	if s.Version() != "v1.37" {
		t.Errorf("Version() = %q", s.Version())
	}
	tests := []struct {
		apiVersion, kind string
		want             bool
	}{
		{"apps/v1", "Deployment", true},
		{"v1", "Service", true},
		{"apiextensions.k8s.io/v1", "CustomResourceDefinition", true},
		{"apps/v1beta1", "Deployment", false},
		{"v1", "DeleteOptions", false},
		{"example.com/v1", "Widget", false},
	}
	for _, tt := range tests {
		t.Run(tt.apiVersion+" "+tt.kind, func(t *testing.T) {
			if got := s.Known(tt.apiVersion, tt.kind); got != tt.want {
				t.Errorf("Known = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProblemKindString(t *testing.T) {
	tests := []struct {
		kind ProblemKind
		want string
	}{
		{TypeMismatch, "TypeMismatch"},
		{MissingRequired, "MissingRequired"},
		{UnknownField, "UnknownField"},
		{NotInEnum, "NotInEnum"},
		{ProblemKind(0), "ProblemKind(0)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.kind.String(); got != tt.want {
				t.Errorf("String() = %q", got)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := decode(embeddedData); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateDeployment(b *testing.B) {
	s := embeddedSchema(b)
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(deployment), &obj); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if problems, known := s.Validate(obj); len(problems) > 0 || !known {
			b.Fatal(problems)
		}
	}
}

func BenchmarkValidateDocumentDeployment(b *testing.B) {
	s := embeddedSchema(b)
	b.ReportAllocs()
	for b.Loop() {
		if problems, known, err := s.ValidateDocument(deployment); len(problems) > 0 || !known || err != nil {
			b.Fatal(problems, err)
		}
	}
}

// TestConcurrentUse validates from several goroutines at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	s, errs := embeddedSchema(t).WithCRDs([]map[string]any{decodeYAML(t, widgetCRD)})
	if errs != nil {
		t.Fatal(errs)
	}
	docs := []string{deployment, "apiVersion: example.com/v1\nkind: Widget\nspec: {size: x}\n"}
	done := make(chan []Problem)
	for i := range 8 {
		go func() {
			problems, _, _ := s.ValidateDocument(docs[i%2])
			done <- problems
		}()
	}
	for i := range 8 {
		if got := <-done; len(got) > 1 {
			t.Errorf("goroutine %d: %v", i, got)
		}
	}
}
