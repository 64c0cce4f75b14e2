import type { FeedEntry } from './feed.ts';

/**
 * Encodes each feed entry once for all its receivers. The feed hands an entry to every subscriber of its
 * room in one synchronous loop, so remembering the last entry's encoding is enough: the first receiver
 * pays for it, the others reuse it.
 */
export function lastEntryCache<T>(encode: (entry: FeedEntry) => T): (entry: FeedEntry) => T {
  let last: FeedEntry | undefined;
  let value: T | undefined;
  return (entry) => {
    if (entry !== last) {
      value = encode(entry);
      last = entry;
    }
    return value as T;
  };
}
