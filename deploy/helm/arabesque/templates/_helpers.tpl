{{- define "arabesque.labels" -}}
app.kubernetes.io/name: arabesque
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{- define "arabesque.env" -}}
- name: ARABESQUE_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.secretName }}
      key: {{ .Values.database.secretKey }}
- name: ARABESQUE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secretKey.secretName }}
      key: {{ .Values.secretKey.secretKey }}
- name: ARABESQUE_DATA_DIR
  value: /var/lib/arabesque
{{- if .Values.extraEnv }}
{{ toYaml .Values.extraEnv }}
{{- end }}
{{- end }}

{{- define "arabesque.securityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end }}
