import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../protocol/line-splitter.ts';

function splitter(maxLine = Infinity) {
  const lines: string[] = [];
  let overflows = 0;
  const s = new LineSplitter(maxLine, (line) => lines.push(line), () => overflows++);
  return { s, lines, overflows: () => overflows };
}

describe('#LineSplitter', () => {
  it('emits each complete line once, across chunk boundaries', () => {
    const { s, lines } = splitter();
    s.push(Buffer.from('{"a":1}\n{"b"'));
    expect(lines).toEqual(['{"a":1}']);
    s.push(Buffer.from(':2}'));
    s.push(Buffer.from('\n{"c":3}\n'));
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('keeps a multi-byte character split between chunks intact', () => {
    const { s, lines } = splitter();
    const bytes = Buffer.from('é€\n');
    s.push(bytes.subarray(0, 1));
    s.push(bytes.subarray(1));
    expect(lines).toEqual(['é€']);
  });

  it('drops a trailing carriage return and skips empty lines', () => {
    const { s, lines } = splitter();
    s.push(Buffer.from('one\r\n\n\r\ntwo\n'));
    expect(lines).toEqual(['one', 'two']);
  });

  it('accepts a line of exactly maxLine bytes, newline included', () => {
    const { s, lines, overflows } = splitter(5);
    s.push(Buffer.from('abcd\n'));
    expect(lines).toEqual(['abcd']);
    expect(overflows()).toBe(0);
  });

  it('overflows once on a longer line, in one chunk or spread over several, and emits nothing after', () => {
    const whole = splitter(5);
    whole.s.push(Buffer.from('abcde\nok\n'));
    expect(whole.lines).toEqual([]);
    expect(whole.overflows()).toBe(1);

    const spread = splitter(5);
    spread.s.push(Buffer.from('ab'));
    spread.s.push(Buffer.from('cd'));
    expect(spread.overflows()).toBe(0);
    spread.s.push(Buffer.from('e'));
    expect(spread.overflows()).toBe(1);
    spread.s.push(Buffer.from('\nok\n'));
    expect(spread.lines).toEqual([]);
    expect(spread.s.overflowed).toBe(true);
  });
});
