{{/* Labels of every object. */}}
{{- define "ironlb.labels" -}}
app.kubernetes.io/name: ironlb
app.kubernetes.io/part-of: ironlb
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Selector labels of a component; call with (list $ "controller"). */}}
{{- define "ironlb.selector" -}}
app.kubernetes.io/name: ironlb
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* The image of a component; call with (list $ "controller"). */}}
{{- define "ironlb.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry (index . 1) ($root.Values.image.tag | default $root.Chart.AppVersion) -}}
{{- end }}

{{/* The RBAC objects that controller-gen generates for a component
(files/rbac/<component>.yaml, copied from config/rbac by make manifests),
with the release's namespace and labels. */}}
{{- define "ironlb.generatedRBAC" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- range $doc := splitList "\n---\n" ($root.Files.Get (printf "files/rbac/%s.yaml" $component)) }}
{{- $o := fromYaml $doc }}
{{- if $o.kind }}
---
apiVersion: {{ $o.apiVersion }}
kind: {{ $o.kind }}
metadata:
  name: {{ $o.metadata.name }}
  {{- if eq $o.kind "Role" }}
  namespace: {{ $root.Release.Namespace }}
  {{- end }}
  labels:
    {{- include "ironlb.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $component }}
rules:
{{- toYaml $o.rules | nindent 0 }}
{{- end }}
{{- end }}
{{- end }}
