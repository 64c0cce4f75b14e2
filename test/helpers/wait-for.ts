import { vi } from 'vitest';

/** Polls `check` every 5 ms until it holds; throws "timed out waiting for <what>" after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Retries an `expect(...)` callback until it passes (10 s at most), failing with its last assertion error. */
export const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 5 });
