{{- define "tricky.name" -}}original{{- end -}}
{{- define "tricky.dup" -}}first{{- end -}}
