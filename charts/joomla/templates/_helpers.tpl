{{/*
joomla.name is the chart name, or nameOverride.
*/}}
{{- define "joomla.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
joomla.fullname is the prefix of every object name: fullnameOverride, or
"<release>-<chart>" (just the release name when it already contains the chart
name), cut to 63 characters. Suffixed names are cut further where they are used.
*/}}
{{- define "joomla.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
joomla.chart is "<chart>-<version>" for the helm.sh/chart label.
*/}}
{{- define "joomla.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
joomla.labels are the standard labels of every object.
*/}}
{{- define "joomla.labels" -}}
helm.sh/chart: {{ include "joomla.chart" . }}
{{ include "joomla.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
joomla.selectorLabels identify the release's objects.
*/}}
{{- define "joomla.selectorLabels" -}}
app.kubernetes.io/name: {{ include "joomla.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/*
joomla.webSelectorLabels select the Joomla pods.
*/}}
{{- define "joomla.webSelectorLabels" -}}
{{ include "joomla.selectorLabels" . }}
app.kubernetes.io/component: web
{{- end }}

{{/*
joomla.databaseSelectorLabels select the database pods.
*/}}
{{- define "joomla.databaseSelectorLabels" -}}
{{ include "joomla.selectorLabels" . }}
app.kubernetes.io/component: database
{{- end }}

{{/*
joomla.databaseFullname names the database StatefulSet and its client Service.
*/}}
{{- define "joomla.databaseFullname" -}}
{{- printf "%s-db" (include "joomla.fullname" . | trunc 60 | trimSuffix "-") }}
{{- end }}

{{/*
joomla.databasePeersName names the headless Service the Galera nodes find each
other through (high availability only).
*/}}
{{- define "joomla.databasePeersName" -}}
{{- printf "%s-db-peers" (include "joomla.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{/*
joomla.databaseServiceName is the Service the StatefulSet governs its pods'
DNS names with.
*/}}
{{- define "joomla.databaseServiceName" -}}
{{- if .Values.highAvailability.enabled }}
{{- include "joomla.databasePeersName" . }}
{{- else }}
{{- include "joomla.databaseFullname" . }}
{{- end }}
{{- end }}

{{/*
joomla.databaseHost is the host Joomla connects to.
*/}}
{{- define "joomla.databaseHost" -}}
{{- if .Values.database.enabled }}
{{- include "joomla.databaseFullname" . }}
{{- else }}
{{- required "externalDatabase.host is required when database.enabled is false: set it to your MariaDB or MySQL server" .Values.externalDatabase.host }}
{{- end }}
{{- end }}

{{- define "joomla.databasePort" -}}
{{- if .Values.database.enabled }}3306{{ else }}{{ .Values.externalDatabase.port }}{{ end }}
{{- end }}

{{- define "joomla.databaseName" -}}
{{- if .Values.database.enabled }}{{ .Values.database.name }}{{ else }}{{ .Values.externalDatabase.database }}{{ end }}
{{- end }}

{{- define "joomla.databaseUser" -}}
{{- if .Values.database.enabled }}{{ .Values.database.user }}{{ else }}{{ .Values.externalDatabase.user }}{{ end }}
{{- end }}

{{/*
joomla.databaseImage is the image of the chosen engine.
*/}}
{{- define "joomla.databaseImage" -}}
{{- $img := get .Values.database .Values.database.engine }}
{{- printf "%s:%s" $img.image.repository $img.image.tag }}
{{- end }}

{{/*
joomla.databaseEnvPrefix is the prefix of the engine image's variables:
MARIADB_ or MYSQL_.
*/}}
{{- define "joomla.databaseEnvPrefix" -}}
{{- if eq .Values.database.engine "mysql" }}MYSQL_{{ else }}MARIADB_{{ end }}
{{- end }}

{{/*
joomla.secretName names the Secret holding the release's passwords.
*/}}
{{- define "joomla.secretName" -}}
{{- include "joomla.fullname" . }}
{{- end }}

{{/*
joomla.secretValue is the base64 value of one key of the release Secret: the
value given in values, else the one already stored in the cluster (so that a
generated password survives upgrades), else a new random one.
Call with (dict "ctx" $ "key" "joomla-password" "value" .Values.joomlaPassword).
*/}}
{{- define "joomla.secretValue" -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "joomla.secretName" .ctx) }}
{{- $data := dict }}
{{- if $existing }}{{ $data = default (dict) $existing.data }}{{ end }}
{{- if .value }}
{{- .value | toString | b64enc }}
{{- else if hasKey $data .key }}
{{- index $data .key }}
{{- else }}
{{- randAlphaNum 20 | b64enc }}
{{- end }}
{{- end }}

{{/*
joomla.storageClass renders storageClassName for a claim from its own class or
the release-wide persistence.storageClass; "-" means no class.
Call with (list $ .Values.persistence.joomla.storageClass).
*/}}
{{- define "joomla.storageClass" -}}
{{- $ctx := index . 0 }}
{{- $class := default $ctx.Values.persistence.storageClass (index . 1) }}
{{- if $class }}
{{- if eq "-" $class }}
storageClassName: ""
{{- else }}
storageClassName: {{ $class | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
joomla.accessMode is the access mode of a shared Joomla volume: the one
configured, or highAvailability.storageAccessMode when several replicas
mount it.
*/}}
{{- define "joomla.accessMode" -}}
{{- $ctx := index . 0 }}
{{- if $ctx.Values.highAvailability.enabled }}
{{- $ctx.Values.highAvailability.storageAccessMode }}
{{- else }}
{{- index . 1 }}
{{- end }}
{{- end }}

{{/*
joomla.webReplicas is the number of Joomla pods.
*/}}
{{- define "joomla.webReplicas" -}}
{{- if .Values.highAvailability.enabled }}{{ .Values.highAvailability.replicaCount }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/*
joomla.databaseReplicas is the number of database pods.
*/}}
{{- define "joomla.databaseReplicas" -}}
{{- if .Values.highAvailability.enabled }}{{ .Values.highAvailability.database.replicaCount }}{{ else }}1{{ end }}
{{- end }}

{{/*
joomla.antiAffinity spreads pods with the given selector labels over nodes.
Call with (list $ (include "joomla.webSelectorLabels" $)).
*/}}
{{- define "joomla.antiAffinity" -}}
{{- $ctx := index . 0 }}
{{- $labels := index . 1 | fromYaml }}
{{- $ha := $ctx.Values.highAvailability -}}
podAntiAffinity:
{{- if eq $ha.antiAffinity "hard" }}
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: {{ $ha.topologyKey }}
      labelSelector:
        matchLabels:
          {{- toYaml $labels | nindent 10 }}
{{- else }}
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: {{ $ha.topologyKey }}
        labelSelector:
          matchLabels:
            {{- toYaml $labels | nindent 12 }}
{{- end }}
{{- end }}

{{/*
joomla.validate fails the render on combinations that cannot work.
*/}}
{{- define "joomla.validate" -}}
{{- if and .Values.highAvailability.enabled .Values.database.enabled (ne .Values.database.engine "mariadb") }}
{{- fail "highAvailability.enabled needs database.engine mariadb (the database is replicated with Galera): set database.engine=mariadb, or use database.enabled=false with an external highly available database" }}
{{- end }}
{{- if and .Values.highAvailability.enabled (not .Values.persistence.enabled) }}
{{- fail "highAvailability.enabled needs persistence.enabled: the Joomla replicas share their files through ReadWriteMany volumes" }}
{{- end }}
{{- end }}
