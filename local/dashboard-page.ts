/** Interval at which the page polls the local metrics, in ms. */
export const DASHBOARD_POLL_INTERVAL_MS = 2_000;

/** Polls kept on each chart: ten minutes at the poll interval. */
export const DASHBOARD_HISTORY_POINTS = 300;

/**
 * Renders the local dashboard: one HTML page with no dependencies that polls `./metrics` and plots the
 * hit rate, query latency percentiles, time to first byte and upstream errors on canvases.
 */
export function renderDashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mcp-accelerator local metrics</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  #status { color: #666; margin-bottom: 12px; }
  .grid { display: grid; grid-template-columns: repeat(2, minmax(320px, 1fr)); gap: 12px; }
  .card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
  .card h2 { font-size: 14px; margin: 0 0 4px; }
  .value { font-size: 22px; font-weight: 600; }
  canvas { width: 100%; height: 160px; }
  .legend span { margin-right: 12px; }
</style>
</head>
<body>
<h1>mcp-accelerator: local metrics</h1>
<div id="status">Waiting for the first figures...</div>
<div class="grid">
  <div class="card"><h2>Cache hit rate (%)</h2><div class="value" id="hitRate">-</div><canvas id="hitRateChart"></canvas></div>
  <div class="card"><h2>Query latency (ms)</h2><div class="legend" id="latencyLegend"></div><canvas id="latencyChart"></canvas></div>
  <div class="card"><h2>Time to first byte of a stream (ms)</h2><div class="legend" id="ttfbLegend"></div><canvas id="ttfbChart"></canvas></div>
  <div class="card"><h2>Upstream errors and timeouts (last hour)</h2><div class="value" id="upstreamErrors">-</div><canvas id="upstreamChart"></canvas></div>
</div>
<script>
const POLL_MS = ${DASHBOARD_POLL_INTERVAL_MS};
const HISTORY = ${DASHBOARD_HISTORY_POINTS};
const COLORS = ['#1f77b4', '#ff7f0e', '#d62728'];
const history = { hitRate: [], latency: [], ttfb: [], upstream: [] };

function total(report, name) {
  return (report.metrics[name]?.series ?? []).reduce((sum, series) => sum + series.sum, 0);
}
function percentiles(report, name) {
  const series = (report.metrics[name]?.series ?? [])[0];
  return series ? [series.p50, series.p90, series.p99] : [null, null, null];
}
function push(list, value) {
  list.push(value);
  if (list.length > HISTORY) list.shift();
}
function draw(canvasId, lines, fixedMax) {
  const canvas = document.getElementById(canvasId);
  const width = canvas.width = canvas.clientWidth * devicePixelRatio;
  const height = canvas.height = canvas.clientHeight * devicePixelRatio;
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, width, height);
  const values = lines.flat().filter((value) => value !== null);
  const max = fixedMax ?? Math.max(1, ...values) * 1.1;
  context.strokeStyle = '#eee';
  context.fillStyle = '#888';
  context.font = (11 * devicePixelRatio) + 'px sans-serif';
  for (const fraction of [0, 0.5, 1]) {
    const y = height - fraction * (height - 14 * devicePixelRatio) - 2;
    context.beginPath(); context.moveTo(0, y); context.lineTo(width, y); context.stroke();
    context.fillText((max * fraction).toFixed(max < 10 ? 2 : 0), 2, y - 2);
  }
  lines.forEach((points, index) => {
    context.strokeStyle = COLORS[index % COLORS.length];
    context.lineWidth = 2 * devicePixelRatio;
    context.beginPath();
    let started = false;
    points.forEach((value, position) => {
      if (value === null) return;
      const x = (position / Math.max(1, HISTORY - 1)) * width;
      const y = height - (value / max) * (height - 14 * devicePixelRatio) - 2;
      if (started) context.lineTo(x, y); else { context.moveTo(x, y); started = true; }
    });
    context.stroke();
  });
}
function legend(id, labels, values) {
  document.getElementById(id).innerHTML = labels
    .map((label, index) => '<span style="color:' + COLORS[index] + '">' + label + ' ' + (values[index] === null ? '-' : values[index].toFixed(2)) + '</span>')
    .join('');
}
async function poll() {
  try {
    const response = await fetch('metrics', { cache: 'no-store' });
    const report = await response.json();
    const latency = percentiles(report, 'QueryLatency');
    const ttfb = percentiles(report, 'TimeToFirstByte');
    const upstreamFailures = total(report, 'UpstreamError') + total(report, 'UpstreamTimeout');
    push(history.hitRate, report.hitRatePercent);
    push(history.latency, latency);
    push(history.ttfb, ttfb);
    push(history.upstream, upstreamFailures);

    document.getElementById('hitRate').textContent = report.hitRatePercent === null ? 'no lookups yet' : report.hitRatePercent.toFixed(1) + ' %';
    document.getElementById('upstreamErrors').textContent = String(upstreamFailures);
    legend('latencyLegend', ['p50', 'p90', 'p99'], latency);
    legend('ttfbLegend', ['p50', 'p90', 'p99'], ttfb);
    draw('hitRateChart', [history.hitRate], 100);
    draw('latencyChart', [0, 1, 2].map((index) => history.latency.map((row) => row[index])));
    draw('ttfbChart', [0, 1, 2].map((index) => history.ttfb.map((row) => row[index])));
    draw('upstreamChart', [history.upstream]);
    const requests = (report.metrics.RequestLatency?.series ?? [])[0]?.sampleCount ?? 0;
    document.getElementById('status').textContent = requests + ' requests in the last hour, updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById('status').textContent = 'Reading metrics failed: ' + error.message + '. Is npm start still running?';
  }
}
poll();
setInterval(poll, POLL_MS);
</script>
</body>
</html>
`;
}
