import { TRANSPORT_COLOURS } from './palette.ts';
import { TRANSPORTS } from '../protocol/transports.ts';

/**
 * The page's stylesheet: light background, system font, cards. Transport swatches are classes (t-ws …)
 * rather than style attributes, because the CSP allows only this hashed stylesheet.
 */

const swatches = TRANSPORTS.map((t) => `.t-${t} { --tc: ${TRANSPORT_COLOURS[t]}; }`).join('\n');

export const STYLES = `
:root { --ink: #1d2430; --muted: #5b6472; --line: #e3e6eb; --bg: #f6f7f9; --card: #fff; --flag: #b00020; --accent: #0b5cad; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif; }
a { color: var(--accent); }
header.page { background: #fff; border-bottom: 1px solid var(--line); }
header.page .inner, main { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header.page .inner { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; justify-content: space-between; padding-top: 18px; padding-bottom: 14px; }
h1 { font-size: 22px; margin: 0; letter-spacing: -0.01em; }
h1 small { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 8px; }
.subtitle { margin: 2px 0 0; color: var(--muted); font-size: 14px; }
.run-picker label { font-size: 13px; color: var(--muted); margin-right: 6px; }
.run-picker select { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
nav.toc { position: sticky; top: 0; z-index: 2; background: rgba(246,247,249,0.94); border-bottom: 1px solid var(--line); margin: 0 -24px 20px; padding: 8px 24px; font-size: 13px; }
nav.toc a { margin-right: 14px; text-decoration: none; color: var(--muted); white-space: nowrap; }
nav.toc a:hover { color: var(--accent); }
.run-meta { color: var(--muted); font-size: 13px; margin: 18px 0 10px; }
.run-meta strong { color: var(--ink); }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px 20px; margin: 0 0 20px; box-shadow: 0 1px 2px rgba(20,30,50,0.04); }
section.card > h2 { font-size: 18px; margin: 0 0 4px; }
section.card > p.lead { color: var(--muted); margin: 0 0 14px; font-size: 14px; max-width: 900px; }
table.projection tr.group th { background: #f1f4f8; color: var(--ink); font-size: 13px; padding-top: 9px; }
.card > * + .grid, .card > .grid + .table-wrap { margin-top: 22px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px 26px; }
figure.chart { margin: 0; min-width: 0; }
figure.chart h3 { font-size: 15px; margin: 4px 0 2px; }
figure.chart p.how { margin: 0 0 8px; color: var(--muted); font-size: 13px; }
.chart-box { position: relative; height: 340px; }
figure.missing .missing-note, p.missing-note { margin: 8px 0; padding: 14px 16px; background: #f7f8fa; border: 1px dashed #cdd2da; border-radius: 8px; color: var(--muted); font-size: 14px; }
p.interrupted { margin-top: 18px; color: var(--flag); border-color: #f0b4bd; background: #fdf1f3; }
ul.notes { margin: 8px 0 0; padding-left: 18px; font-size: 13px; color: var(--muted); }
ul.notes li.flagged { color: var(--flag); }
.chart-error { color: var(--flag); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: right; vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: none; background: #fafbfc; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
tbody tr:hover { background: #fafbfd; }
table.headline td, table.projection td { white-space: nowrap; }
table.reliability td { white-space: nowrap; min-width: 96px; }
table.reliability td .range { white-space: normal; }
td .range { display: block; font-size: 11px; color: #8a93a0; }
td.errored { text-align: left; color: var(--flag); }
td.missing { text-align: left; color: var(--muted); font-style: italic; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 8px; background: var(--tc, #999); vertical-align: baseline; }
tr.transport td:first-child { font-weight: 600; white-space: nowrap; border-left: 4px solid var(--tc, #999); }
sup.taint { color: var(--flag); font-size: 10px; margin-left: 2px; cursor: help; }
td.noise { color: #8a93a0; font-style: italic; }
.flag { display: inline-block; margin-top: 2px; padding: 0 6px; border-radius: 9px; background: #fde7ea; color: var(--flag); font-size: 11px; font-weight: 600; white-space: nowrap; }
ul.verdicts { margin: 14px 0 0; padding: 0; list-style: none; }
ul.verdicts li { position: relative; padding: 6px 0 6px 22px; border-top: 1px solid var(--line); }
ul.verdicts li::before { content: "→"; position: absolute; left: 0; color: var(--accent); font-weight: 700; }
.point { display: inline-block; background: #eef4fb; color: #123a63; border-radius: 6px; padding: 3px 10px; font-size: 13px; margin-bottom: 12px; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; font-size: 14px; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f7f8fa; border: 1px solid var(--line); border-radius: 8px; padding: 12px; overflow: auto; font-size: 12px; max-height: 360px; }
details { margin-top: 12px; }
details summary { cursor: pointer; color: var(--accent); font-size: 14px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: break-word; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 18px 26px; }
footer { max-width: 1280px; margin: 0 auto; padding: 8px 24px 40px; color: var(--muted); font-size: 12px; }
${swatches}
@media (max-width: 560px) { .grid, .two { grid-template-columns: 1fr; } header.page .inner, main { padding: 0 12px; } }
@media print { nav.toc { position: static; } .chart-box { height: 280px; } }
`;
