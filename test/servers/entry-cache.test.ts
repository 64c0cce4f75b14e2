import { describe, expect, it } from 'vitest';
import { lastEntryCache } from '../../servers/entry-cache.ts';
import { Feed } from '../../servers/feed.ts';

describe('#lastEntryCache', () => {
  it('encodes an entry once for all its receivers, and again for the next entry', () => {
    const feed = new Feed({ payloadBytes: 8 });
    let encodes = 0;
    const encode = lastEntryCache((entry) => (encodes++, `${entry.seq}`));
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) feed.subscribe('r', (entry) => seen.push(encode(entry)));
    feed.publish('r');
    feed.publish('r');
    expect(seen).toEqual(['1', '1', '1', '2', '2', '2']);
    expect(encodes).toBe(2);
  });
});
