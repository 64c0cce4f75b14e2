/**
 * Chat's payload. POST /publish stamps `at` = `ts` on the server, so a chat sender's own times travel in the
 * payload: `<intended µs>|<sent µs>|` then filler up to the payload size. The load process and the load agents
 * (bench/agent/) both write and read it.
 */

/** The payload: the times, then 'x' filler up to `size` characters (never shorter than the times). */
export function chatPayload(intendedUs: number, sentUs: number, size: number): string {
  const head = `${Math.round(intendedUs)}|${Math.round(sentUs)}|`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** The times carried by a chat payload, or undefined for any other message (a room primer). */
export function parseChatPayload(payload: string): { intendedUs: number; sentUs: number } | undefined {
  const first = payload.indexOf('|');
  const second = first < 0 ? -1 : payload.indexOf('|', first + 1);
  if (second < 0) return undefined;
  const intendedUs = Number(payload.slice(0, first));
  const sentUs = Number(payload.slice(first + 1, second));
  return Number.isFinite(intendedUs) && Number.isFinite(sentUs) ? { intendedUs, sentUs } : undefined;
}
