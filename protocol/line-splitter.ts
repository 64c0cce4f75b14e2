/**
 * Splits a byte stream into newline-terminated lines (raw TCP transport), bounding how much one unfinished
 * line may hold. A trailing `\r` is dropped so `nc -C` and telnet work too; empty lines are skipped.
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #length = 0;
  #overflowed = false;

  /**
   * @param maxLine longest accepted line in bytes, newline included (Infinity: no bound)
   * @param onLine called once per complete line, in order
   * @param onOverflow called once when a line passes maxLine; nothing is emitted after it
   */
  constructor(
    readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  get overflowed(): boolean {
    return this.#overflowed;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.#overflowed) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) break;
      if (this.#length + (newline - start) + 1 > this.maxLine) return this.#overflow();
      let line: Buffer;
      if (this.#parts.length > 0) {
        this.#parts.push(chunk.subarray(start, newline));
        line = Buffer.concat(this.#parts, this.#length + newline - start);
        this.#parts = [];
        this.#length = 0;
      } else {
        line = chunk.subarray(start, newline);
      }
      start = newline + 1;
      let end = line.length;
      if (end > 0 && line[end - 1] === 13) end--;
      if (end > 0) this.onLine(line.toString('utf8', 0, end));
    }
    if (this.#overflowed || start >= chunk.length) return;
    // The unfinished line still needs its newline, so it may hold at most maxLine - 1 bytes.
    if (this.#length + chunk.length - start + 1 > this.maxLine) return this.#overflow();
    this.#parts.push(chunk.subarray(start));
    this.#length += chunk.length - start;
  }

  #overflow(): void {
    this.#overflowed = true;
    this.#parts = [];
    this.#length = 0;
    this.onOverflow();
  }
}
