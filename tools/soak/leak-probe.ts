import { createHook } from 'node:async_hooks';
import v8 from 'node:v8';

/**
 * What a leak leaves behind in this process: live timers and TCP sockets, counted through async_hooks (so
 * unref'd timers count too, which process.getActiveResourcesInfo() leaves out), and the heap after a full GC.
 */

const TRACKED = new Set(['Timeout', 'TCPWRAP']);

export interface HandleCounts {
  /** setTimeout / setInterval timers not yet fired or cleared, socket timeouts included. */
  timers: number;
  /** Open TCP sockets, client and server side (listening sockets are TCPSERVERWRAP and not counted). */
  sockets: number;
}

export class HandleCounter {
  readonly #live = new Map<number, string>();
  readonly #hook = createHook({
    init: (asyncId, type) => {
      if (TRACKED.has(type)) this.#live.set(asyncId, type);
    },
    destroy: (asyncId) => {
      this.#live.delete(asyncId);
    },
  });

  /** Counts only what is created after this. */
  start(): this {
    this.#hook.enable();
    return this;
  }

  stop(): void {
    this.#hook.disable();
  }

  counts(): HandleCounts {
    let timers = 0;
    let sockets = 0;
    for (const type of this.#live.values()) {
      if (type === 'Timeout') timers++;
      else sockets++;
    }
    return { timers, sockets };
  }
}

type Gc = () => void;

/** globalThis.gc, present when node runs with --expose-gc. */
export function exposedGc(): Gc | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as Gc) : undefined;
}

/** Heap spaces that hold compiled code, which grows as V8 optimises more of it over a long run: not a leak. */
const CODE_SPACES = new Set(['code_space', 'code_large_object_space']);

/**
 * Bytes of JavaScript objects on the heap after full collections (with turns of the event loop between them so
 * finalizers and closes run): heapUsed without the code spaces.
 */
export async function heapAfterGc(): Promise<number> {
  const gc = exposedGc();
  if (!gc) throw new Error('heapAfterGc needs node --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return v8.getHeapSpaceStatistics().reduce((sum, space) => sum + (CODE_SPACES.has(space.space_name) ? 0 : space.space_used_size), 0);
}
