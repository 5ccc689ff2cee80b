/** Where the gpu-host's latency lands in CloudWatch (put by the relay below, alarmed on in operations-alarms.ts). */
export const LATENCY_NAMESPACE = 'Pictor';
export const LATENCY_METRIC = 'InferenceLatencyMs';

/**
 * Shell lines (root, user data) installing a small systemd service on the gpu-host that turns the
 * host's own Prometheus histogram into a CloudWatch metric: every minute it reads `/metrics`, takes
 * the growth of `gpu_host_request_duration_seconds_{sum,count}` for the inference routes since the
 * last read, and puts the mean in milliseconds. (The CloudWatch agent drops Prometheus histograms,
 * hence this.) Minutes without requests put nothing; the alarm treats missing data as fine.
 */
export function latencyRelayCommands(region: string, metricsUrl: string): string[] {
  const script = '/usr/local/bin/pictor-latency-relay';
  return [
    `cat > ${script} <<'PICTOR_EOF'`,
    '#!/bin/bash',
    'set -uo pipefail',
    'last_sum=""; last_count=""',
    'while sleep 60; do',
    `  read -r sum count < <(curl -fsS --max-time 5 ${metricsUrl} | awk '/^gpu_host_request_duration_seconds_(sum|count)\\{.*route="(infer|classify)"/ { if ($1 ~ /_sum/) s += $2; else c += $2 } END { printf "%.6f %d\\n", s, c }') || continue`,
    '  if [ -n "$last_count" ] && [ "$count" -gt "$last_count" ]; then',
    '    mean_ms="$(awk -v s="$sum" -v ls="$last_sum" -v c="$count" -v lc="$last_count" \'BEGIN { printf "%.3f", (s - ls) * 1000 / (c - lc) }\')"',
    `    aws cloudwatch put-metric-data --region ${region} --namespace ${LATENCY_NAMESPACE} --metric-name ${LATENCY_METRIC} --unit Milliseconds --value "$mean_ms" || true`,
    '  fi',
    '  last_sum="$sum"; last_count="$count"',
    'done',
    'PICTOR_EOF',
    `chmod 0755 ${script}`,
    "cat > /etc/systemd/system/pictor-latency-relay.service <<'PICTOR_EOF'",
    '[Unit]',
    'Description=Pictor: gpu-host inference latency to CloudWatch',
    'After=pictor-gpu-host.service',
    '[Service]',
    'Environment=PATH=/usr/local/bin:/usr/bin:/bin:/snap/bin',
    `ExecStart=${script}`,
    'Restart=always',
    'DynamicUser=true',
    '[Install]',
    'WantedBy=multi-user.target',
    'PICTOR_EOF',
    'systemctl daemon-reload',
    'systemctl enable --now pictor-latency-relay.service',
  ];
}
