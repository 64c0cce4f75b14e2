import type { ChartSpec } from './chart-spec.ts';
import { cspHash, escapeHtml as e, jsonForScript } from './escape.ts';
import { STYLES } from './styles.ts';

/**
 * The page shell. Everything is inline (Chart.js, the data, our script, the stylesheet) so the file
 * opens offline from disk; the CSP allows exactly those inline scripts and that stylesheet, by hash,
 * and nothing from the network.
 */

export interface PageParts {
  title: string;
  generatedAt: string;
  /** `<option>`s of the run picker; empty for a single run. */
  runOptions: Array<{ value: string; label: string }>;
  /** Already-escaped HTML of the sections. */
  body: string;
  charts: Record<string, ChartSpec>;
  chartJs: string;
  chartJsVersion: string;
  clientScript: string;
}

export function renderPage(parts: PageParts): string {
  const data = jsonForScript({ charts: parts.charts });
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(parts.chartJs)} ${cspHash(parts.clientScript)}`,
    `style-src ${cspHash(STYLES)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const picker = parts.runOptions.length > 1
    ? `<div class="run-picker"><label for="run-select">Run</label><select id="run-select">${parts.runOptions.map((o, i) => `<option value="${e(o.value)}"${i === 0 ? ' selected' : ''}>${e(o.label)}</option>`).join('')}</select></div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(parts.title)}</title>
<style>${STYLES}</style>
</head>
<body>
<header class="page"><div class="inner"><div><h1>transport-bench <small>report</small></h1><p class="subtitle">Short polling, long polling, WebSocket, Socket.IO, SSE and a raw TCP floor, serving one message feed, measured the same way.</p></div>${picker}</div></header>
<main>
${parts.body}
</main>
<footer>Built ${e(parts.generatedAt)} by transport-bench report. Charts drawn with Chart.js ${e(parts.chartJsVersion)} (MIT), inlined: this page makes no network requests. Latency figures are medians across repeats with min – max; histograms are hdr-histogram-js, 1 µs resolution, 3 significant digits.</footer>
<script type="application/json" id="report-data">${data}</script>
<script>${parts.chartJs}</script>
<script>${parts.clientScript}</script>
</body>
</html>
`;
}
