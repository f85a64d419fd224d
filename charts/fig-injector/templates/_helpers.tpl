{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "fig-injector.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name: the release name when it already contains the chart name. */}}
{{- define "fig-injector.fullname" -}}
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

{{- define "fig-injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fig-injector.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fig-injector.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "fig-injector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: webhook
{{- end }}

{{- define "fig-injector.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fig-injector.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fig-injector.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "fig-injector.agentImage" -}}
{{- $repo := default (printf "%s-agent" .Values.image.repository) .Values.agent.image.repository }}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.agent.image.tag }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* The TLS Secret (Helm-generated, cert-manager-issued, or the user's certs.existingSecret). */}}
{{- define "fig-injector.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "fig-injector.fullname" .)) .Values.certs.existingSecret }}
{{- end }}

{{/* Native sidecars: "auto" means Kubernetes >= 1.29, where they are on by default. */}}
{{- define "fig-injector.nativeSidecar" -}}
{{- $v := .Values.agent.nativeSidecar | toString }}
{{- if eq $v "auto" }}
{{- semverCompare ">=1.29.0-0" .Capabilities.KubeVersion.Version }}
{{- else }}
{{- eq $v "true" }}
{{- end }}
{{- end }}

{{/* Namespaces never mutated: the release's own, kube-system, and the configured ones. */}}
{{- define "fig-injector.excludedNamespaces" -}}
{{- list .Release.Namespace "kube-system" | concat .Values.webhook.excludedNamespaces | uniq | toJson }}
{{- end }}

{{/* The relay (relay.enabled): its own name, so neither the webhook's Service nor its Deployment selects its pods. */}}
{{- define "fig-injector.relayName" -}}
{{- printf "%s-relay" (include "fig-injector.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fig-injector.relaySelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-relay" (include "fig-injector.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fig-injector.relayLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "fig-injector.relaySelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: relay
{{- end }}

{{/* Seconds in a Go duration such as 30s, 1m30s or 2h (the agent's and relay's interval values), for
     PromQL thresholds, which take numbers. */}}
{{- define "fig-injector.seconds" -}}
{{- $total := 0.0 }}
{{- range regexFindAll "[0-9.]+(ms|s|m|h)" . -1 }}
{{- $n := float64 (regexFind "^[0-9.]+" .) }}
{{- $unit := trimPrefix (regexFind "^[0-9.]+" .) . }}
{{- $total = addf $total (mulf $n (get (dict "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0) $unit)) }}
{{- end }}
{{- $total }}
{{- end }}
