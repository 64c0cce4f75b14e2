import { createHash } from 'node:crypto';

/**
 * Escaping for the two contexts results strings reach in the report: HTML text/attributes, and the
 * inline `<script type="application/json">` data block. Every string from a results file goes through one.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute value. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON safe inside a `<script>` element: `<`, `>` and `&` become \u escapes (so no `</script>` or `<!--`
 * can close or confuse the element) and so do U+2028/U+2029. The result still parses as the same JSON.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** A CSP source expression for an inline element's exact text: 'sha256-…'. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Guards code that is inlined as it is (Chart.js, our client script): a `</script` or `<!--` inside it
 * would end or corrupt the element, so refuse rather than emit a broken page.
 */
export function assertInlineScriptSafe(code: string, name: string): string {
  if (/<\/script|<!--/i.test(code)) throw new Error(`${name} contains "</script" or "<!--" and cannot be inlined`);
  return code;
}

/**
 * Text safe in a Markdown table cell or list item. Job summaries render inline HTML, so `<`, `>` and `&`
 * become entities; `|` would split a cell, backticks and `*[]` would start markup, newlines would end the row.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[&<>]/g, (c) => HTML_ESCAPES[c])
    .replace(/([\\|`*[\]])/g, '\\$1')
    .replace(/\r?\n|[\u2028\u2029]/g, ' ');
}
