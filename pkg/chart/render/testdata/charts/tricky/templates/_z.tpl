{{- define "tricky.dup" -}}second{{- end -}}
{{- define "tricky.empty" }}{{ end -}}
