import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../clients/create-client.ts';
import type { FeedMessage } from '../../protocol/message.ts';
import { buildServer } from '../../servers/build-server.ts';
import { Feed } from '../../servers/feed.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** run --ws-deflate: the ws server and client negotiate permessage-deflate, and the messages shrink on the wire. */
describe('ws permessage-deflate', () => {
  let server: BenchServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function steadyBytesPerMessage(deflate: boolean): Promise<number> {
    const feed = new Feed({ payloadBytes: 1_024 });
    server = buildServer({ transport: 'ws', feed, wsPerMessageDeflate: deflate });
    const port = await server.listen();
    const got: FeedMessage[] = [];
    const client = createClient('ws', { port, room: 'r', onMessage: (m) => got.push(m), wsPerMessageDeflate: deflate });
    await client.connect();
    const before = client.meter.total();
    for (let i = 0; i < 50; i++) feed.publish('r');
    await waitFor(() => got.length === 50, '50 messages');
    const after = client.meter.total();
    await client.close();
    await server.close();
    server = undefined;
    return (after.read + after.written - before.read - before.written) / 50;
  }

  it('a 1 KiB random-letter payload costs about a quarter less with it (log2(62)/8 = 0.74 of a byte per letter)', async () => {
    const plain = await steadyBytesPerMessage(false);
    const deflated = await steadyBytesPerMessage(true);
    expect(plain).toBeGreaterThan(1_024);
    expect(deflated / plain).toBeLessThan(0.85);
    // Random letters do not compress below their entropy: a much smaller figure means repeated payloads.
    expect(deflated / plain).toBeGreaterThan(0.6);
  });
});
