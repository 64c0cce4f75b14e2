/**
 * Publishes waiting for their acknowledgement, matched by command id (ws and raw TCP clients): each
 * publish gets the next id, and resolves with the seq the server answers for that id.
 */
export class PendingAcks {
  readonly #waiting = new Map<number, { resolve: (seq: number) => void; reject: (error: Error) => void }>();
  #nextId = 1;

  /** Reserves an id and the promise its ack will settle. */
  open(): { id: number; done: Promise<number> } {
    const id = this.#nextId++;
    const done = new Promise<number>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    return { id, done };
  }

  /** Settles the publish waiting for `id` with its seq; false when none is waiting. */
  resolve(id: number, seq: number): boolean {
    const waiter = this.#take(id);
    waiter?.resolve(seq);
    return waiter !== undefined;
  }

  /** Fails the publish waiting for `id`; false when none is waiting. */
  reject(id: number, error: Error): boolean {
    const waiter = this.#take(id);
    waiter?.reject(error);
    return waiter !== undefined;
  }

  #take(id: number) {
    const waiter = this.#waiting.get(id);
    if (waiter) this.#waiting.delete(id);
    return waiter;
  }

  /** Fails every waiting publish (the connection that carried them is gone: their fate is unknown). */
  rejectAll(error: Error): void {
    const waiters = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
