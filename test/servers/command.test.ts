import { describe, expect, it } from 'vitest';
import { checkSubscription, parseCommand, parseCursor, publishToFeed } from '../../servers/command.ts';
import { Feed } from '../../servers/feed.ts';

describe('#parseCursor', () => {
  it('accepts non-negative integers given as numbers or decimal strings', () => {
    expect(parseCursor(0)).toBe(0);
    expect(parseCursor('17')).toBe(17);
  });

  it('rejects a negative cursor, fractions, hex, exponents and unsafe integers', () => {
    for (const bad of [-1, '-1', 1.5, '1.5', '0x10', '1e3', 2 ** 53, '99999999999999999', null, {}]) expect(parseCursor(bad)).toBeUndefined();
  });
});

describe('#checkSubscription', () => {
  it('defaults the cursor to 0', () => {
    expect(checkSubscription('lobby', undefined)).toEqual({ room: 'lobby', cursor: 0 });
  });

  it('names a missing room, a bad room and a bad cursor with their codes', () => {
    expect(checkSubscription(undefined, 0)).toMatchObject({ type: 'error', code: 'TB_ERR_BAD_ROOM', message: expect.stringMatching(/required/) });
    expect(checkSubscription('no spaces', 0)).toMatchObject({ code: 'TB_ERR_BAD_ROOM' });
    expect(checkSubscription('lobby', '-3')).toMatchObject({ code: 'TB_ERR_BAD_CURSOR', message: expect.stringMatching(/non-negative integer/) });
  });
});

describe('#parseCommand', () => {
  it('parses subscribe and publish', () => {
    expect(parseCommand('{"type":"subscribe","room":"r","cursor":4}', 100)).toEqual({ type: 'subscribe', room: 'r', cursor: 4 });
    expect(parseCommand('{"type":"publish","id":7,"room":"r","payload":"hi"}', 100)).toEqual({ type: 'publish', id: 7, room: 'r', payload: 'hi' });
  });

  it('answers garbage with an error instead of throwing', () => {
    expect(parseCommand('{not json', 100)).toMatchObject({ type: 'error', code: 'TB_ERR_BAD_BODY' });
    expect(parseCommand('[1,2]', 100)).toMatchObject({ code: 'TB_ERR_BAD_REQUEST' });
    expect(parseCommand('null', 100)).toMatchObject({ code: 'TB_ERR_BAD_REQUEST' });
    expect(parseCommand('{"type":"dance"}', 100)).toMatchObject({ code: 'TB_ERR_BAD_REQUEST', message: expect.stringMatching(/unknown command type "dance"/) });
    expect(parseCommand('{"type":"publish","room":"r","payload":"x"}', 100)).toMatchObject({ code: 'TB_ERR_BAD_REQUEST', message: expect.stringMatching(/id/) });
  });

  it('echoes the id of a publish it refuses', () => {
    expect(parseCommand('{"type":"publish","id":3,"room":"bad room","payload":"x"}', 100)).toEqual({ type: 'error', id: 3, code: 'TB_ERR_BAD_ROOM', message: expect.any(String) });
    expect(parseCommand('{"type":"publish","id":3,"room":"r","payload":5}', 100)).toMatchObject({ id: 3, code: 'TB_ERR_BAD_BODY' });
    expect(parseCommand('{"type":"publish","id":3,"room":"r","payload":"toolong"}', 3)).toMatchObject({ id: 3, code: 'TB_ERR_PAYLOAD_TOO_LARGE' });
  });
});

describe('#publishToFeed', () => {
  it('answers the seq at once on the memory feed, and an error when the feed holds no more rooms', () => {
    const feed = new Feed({ maxRooms: 1 });
    const answers: unknown[] = [];
    publishToFeed(feed, 'a', 'x', undefined, (answer) => answers.push(answer));
    publishToFeed(feed, 'b', 'x', 9, (answer) => answers.push(answer));
    expect(answers).toEqual([{ seq: 1 }, expect.objectContaining({ type: 'error', id: 9, code: 'TB_ERR_TOO_MANY_ROOMS' })]);
  });
});
