/**
 * The servers a client may reach: its own, then the other nodes of the same transport (run --nodes), which share
 * the feed, so any of them answers its cursor. A client stays on one until a connection attempt to it fails,
 * then tries the next, round the ring: a killed node's clients move to the others (bench/scenarios/node-kill.ts).
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export class EndpointRing {
  readonly #endpoints: readonly Endpoint[];
  #index = 0;

  constructor(primary: Endpoint, failover: readonly Endpoint[] = []) {
    const others = failover.filter((e) => e.host !== primary.host || e.port !== primary.port);
    this.#endpoints = [primary, ...others];
  }

  get current(): Endpoint {
    return this.#endpoints[this.#index]!;
  }

  /** After a failed attempt: the next endpoint (the same one when there is no other). */
  advance(): Endpoint {
    this.#index = (this.#index + 1) % this.#endpoints.length;
    return this.current;
  }

  get size(): number {
    return this.#endpoints.length;
  }
}
