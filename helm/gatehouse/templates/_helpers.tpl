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
{{- $pr := .Values.ca.overlapRoots -}}
{{- if and $pr.configMapName $pr.secretName -}}
{{- fail "ca.overlapRoots: set configMapName or secretName, not both" -}}
{{- end -}}
{{- if and (or $pr.configMapName $pr.secretName) (not $pr.until) -}}
{{- fail "ca.overlapRoots needs ca.overlapRoots.until (ISO-8601 instant, e.g. 2026-12-20T00:00:00Z): an overlap without an end keeps the old CA trusted forever" -}}
{{- end -}}
{{- if and $pr.until (not (or $pr.configMapName $pr.secretName)) -}}
{{- fail "ca.overlapRoots.until is set but neither ca.overlapRoots.configMapName nor ca.overlapRoots.secretName names the old roots" -}}
{{- end -}}
{{- if eq .Values.ca.mode "vault" -}}
{{- $v := .Values.ca.vault -}}
{{- if not $v.address -}}
{{- fail "ca.mode=vault needs ca.vault.address (e.g. https://vault.vault.svc:8200)" -}}
{{- end -}}
{{- if and $v.caBundle.secretName $v.caBundle.configMapName -}}
{{- fail "ca.vault.caBundle: set secretName or configMapName, not both" -}}
{{- end -}}
{{- if and (eq $v.auth.method "approle") (or (not $v.auth.approle.roleId) (not $v.auth.approle.secretIdSecret.name)) -}}
{{- fail "ca.vault.auth.method=approle needs ca.vault.auth.approle.roleId and ca.vault.auth.approle.secretIdSecret.name" -}}
{{- end -}}
{{- if and (eq $v.auth.method "token") (not $v.auth.token.secretName) -}}
{{- fail "ca.vault.auth.method=token needs ca.vault.auth.token.secretName (a Secret holding the Vault token)" -}}
{{- end -}}
{{- end -}}
{{- if eq .Values.ca.mode "spire" -}}
{{- $s := .Values.ca.spire -}}
{{- if and $s.trustDomain (ne $s.trustDomain .Values.mesh.trustDomain) -}}
{{- fail (printf "ca.spire.trustDomain (%s) is not the mesh's trust domain mesh.trustDomain (%s): a SPIRE Server of another trust domain cannot issue this mesh's identities" $s.trustDomain .Values.mesh.trustDomain) -}}
{{- end -}}
{{- if eq $s.issuance "leaf" -}}
{{- if and (not $s.socket.volume) (not $s.socket.hostPath) -}}
{{- fail "ca.spire.issuance=leaf needs ca.spire.socket.hostPath or ca.spire.socket.volume (where the SPIRE Server API socket is)" -}}
{{- end -}}
{{- else -}}
{{- if not $s.serverAddress -}}
{{- fail "ca.spire.issuance=intermediate needs ca.spire.serverAddress (host:port of the SPIRE Server's TCP API): NewDownstreamX509CA is not served on the local socket" -}}
{{- end -}}
{{- if and (not $s.downstreamSvid.secretName) (not $s.downstreamSvid.volume) -}}
{{- fail "ca.spire.issuance=intermediate needs ca.spire.downstreamSvid.secretName or ca.spire.downstreamSvid.volume (the downstream X509-SVID files)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
