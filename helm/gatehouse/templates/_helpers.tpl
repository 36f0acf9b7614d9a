{{- define "gatehouse.name" -}}gatehouse{{- end -}}
{{- define "gatehouse.labels" -}}
app.kubernetes.io/name: gatehouse
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
{{- define "gatehouse.selectorLabels" -}}
app.kubernetes.io/name: gatehouse
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{/* Secrets the CA reads, by mode: the RBAC Role grants exactly these names. */}}
{{- define "gatehouse.caSecretNames" -}}
{{- $names := list -}}
{{- if has .Values.ca.mode (list "selfSigned" "auto") -}}
{{- $names = append $names .Values.ca.selfSigned.secretName -}}
{{- end -}}
{{- if has .Values.ca.mode (list "plugged" "auto") -}}
{{- $names = append $names .Values.ca.plugged.secretName -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}
{{/* Cross-field checks the schema cannot express. */}}
{{- define "gatehouse.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) -}}
{{- end -}}
{{- $ports := list (toString .Values.ports.grpcSecure) (toString .Values.ports.grpcPlaintext) (toString .Values.ports.http) -}}
{{- if ne (len ($ports | uniq)) 3 -}}
{{- fail (printf "ports.grpcSecure, ports.grpcPlaintext and ports.http must differ (got %v)" $ports) -}}
{{- end -}}
{{- end -}}
