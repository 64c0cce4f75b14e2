import { EVENT_LOOP_RESOLUTION_MS } from '../../servers/resource-sampler.ts';
import { SCHEDULE_STRATEGY } from '../../servers/schedule.ts';
import type { ResolvedConfig } from '../config/config.ts';
import { HISTOGRAM_SIGNIFICANT_DIGITS } from '../measure/histogram.ts';
import type { LoadAgent } from '../agent/agent-set.ts';
import { formatClockOffset } from '../agent/clock-offset.ts';
import { DEFAULT_CONNECT_CONCURRENCY } from './client-pool.ts';

/** results.method: how the numbers were taken, in words a reader can check against docs/method.md. */

export interface MethodFacts {
  config: ResolvedConfig;
  /** Spawn-to-ready times of every server process started, ms. */
  startupTimes: readonly number[];
  /** How the processes were pinned to CPUs. */
  pinning: string;
  /** Server processes that could not be pinned although pinning was asked for. */
  unpinned: number;
  /** Seed of the shuffled order of each round of repeats. */
  seed: number;
  /** Packets iptables dropped per loss percent over the run, to and from the clients (run --loss). */
  droppedPackets?: ReadonlyMap<number, { in: number; out: number }>;
  /** The Chromium version the browser clients ran in, when any did (run --client-runtime browser). */
  chromium?: string;
  /** Why the browser steps were skipped (a profile's, on a machine without chromium). */
  browserUnavailable?: string;
  /** Whether the load agents (run --agents) shared one core: the run was pinned, and they inherit its affinity. */
  agentsShareCore?: boolean;
  /** The Redis the feed lived in (run --feed redis), described. */
  feed?: string;
  /** Agents that joined the run through Redis (run --join-agents). */
  joinedAgents?: readonly LoadAgent[];
}

/** How the clients reached the servers: loopback, or the delay proxy under the run's conditions. */
function networkText(config: ResolvedConfig, droppedPackets: MethodFacts['droppedPackets'] = new Map()): string {
  const emulated = config.rttMs.some((rtt) => rtt > 0) || config.jitterMs > 0 || config.bandwidth !== undefined || config.lossPercent.some((p) => p > 0);
  if (!emulated) return config.serverHost === '127.0.0.1' ? 'loopback (127.0.0.1): no network emulated, a round trip of tens of µs' : `the servers listened on ${config.serverHost} (--server-host), which every client dialled: no network emulated, whatever lies between an agent's host and this one measured as it is`;
  return (
    `steps with rtt= in their id: clients connect through a delay proxy in its own process (bench/network/delay-proxy.ts; no netem in this kernel) that adds rtt/2 each way` +
    ` (${config.rttMs.join(', ')} ms round trips${config.jitterMs > 0 ? `, ± ${config.jitterMs} ms jitter each way, never reordering a connection's bytes` : ''}` +
    `${config.bandwidth !== undefined ? `, ${config.bandwidth} per direction and connection` : ''}), and holds a new connection's first bytes one round trip for its TCP handshake;` +
    ` the proxy's timers fire up to ~1 ms late.` +
    (config.lossPercent.some((p) => p > 0)
      ? ` Steps with loss= ran their proxy inside a network namespace of their own, joined by a veth pair, where iptables dropped that share of the packets to and from the clients at random (real TCP loss: the kernel retransmits; bench/network/loss-namespace.ts)` +
        (droppedPackets.size > 0 ? `; it dropped ${[...droppedPackets].map(([percent, d]) => `${d.in} packets to and ${d.out} from the clients at ${percent} %`).join(', ')} over the run.` : '.')
      : '') +
    ` Steps without rtt= (and hostile, http-overhead) ran over loopback`
  );
}

export function methodText({ config, startupTimes, pinning, unpinned, seed, droppedPackets, chromium, browserUnavailable, feed, agentsShareCore = false, joinedAgents = [] }: MethodFacts): Record<string, string> {
  const medianStart = startupTimes.length > 0 ? [...startupTimes].sort((a, b) => a - b)[startupTimes.length >> 1]! : 0;
  return {
    clock:
      'process.hrtime.bigint() (CLOCK_MONOTONIC, shared by every process on one host), in µs; server publish stamps and client receive stamps are subtracted directly' +
      (joinedAgents.length > 0 ? "; agents that joined through Redis have clocks of their own, mapped onto the run's by an offset measured before every step (see agents), known to ± half the shortest ping's round trip, and measured again after each window to show the drift during the step (each step's notes)" : ''),
    schedule: `push and capacity: open loop inside the server process, message k of a step is due at start + k/rate; ${SCHEDULE_STRATEGY}. chat and rtt: open loop in the load process, paced the same way`,
    latency: 'corrected latency from the intended send time (coordinated omission, as wrk2); uncorrected from the actual send time; scheduler lag = actual − intended',
    histogram: `hdr-histogram-js, 1 µs lowest discernible value, ${HISTOGRAM_SIGNIFICANT_DIGITS} significant digits; histograms of all repeats merged exactly`,
    warmup: `${config.warmupMs} ms before each measured window, discarded`,
    window: `${config.durationMs} ms measured per repeat`,
    repeats: `${config.repeats} per step (fault scenarios: ${config.faultRepeats}); figures are the median with min–max across repeats`,
    interleaving: `the repeats of one comparison point (a scenario at the same parameters, every transport) run in rounds, round r running repeat r of each transport in an order shuffled anew each round (seed ${seed}), so noise on the machine lands on every transport of the point; servers stay up across the rounds`,
    processes: `each transport's server in its own child process (node --import tsx servers/process-entry.ts), one per distinct start options, all started before the first step (two at a time) and reused across the steps and repeats that need them; load clients in the runner's process; ${startupTimes.length} server start(s), median start-up ${Math.round(medianStart)} ms`,
    pinning: pinning + (unpinned > 0 ? `; ${unpinned} server process(es) could not be pinned` : ''),
    resources: `CPU time (user+system) over wall time per window; RSS and heap at the window's end; event-loop utilisation (performance.eventLoopUtilization); event-loop delay p99 (monitorEventLoopDelay, ${EVENT_LOOP_RESOLUTION_MS} ms resolution, the resolution subtracted)`,
    feed:
      feed === undefined
        ? "in memory, each server process's own (servers/feed.ts)"
        : `in ${feed}: per room a counter and a stream whose ids are the seqs, numbered by one script (INCR + XADD … MAXLEN ~ 10000); each server node reads every room with blocking XREADs into a replica it serves from, and delivers from it (servers/redis-feed.ts); a node's publish reaches its own clients only through Redis, as every other node's`,
    nodes:
      Math.max(...config.nodes) > 1
        ? `${config.nodes.join(', ')} server processes (nodes) per transport sharing the feed (each count its own processes, nodes=N in the step ids above 1); client i connects to node i mod N and moves to the next node when its own goes away; schedules publish on node 0; CPU and memory are the nodes' summed, event-loop figures the busiest node's`
        : 'one server process per transport',
    agents: agentsText(config, agentsShareCore, joinedAgents),
    reconnect: 'every client reconnects after 50 ms, then doubling up to 2 s, without jitter (clients/backoff.ts; Socket.IO given the same); reconnect times include it',
    stepTimeout: `${config.stepTimeoutMs} ms per step, then the step is errored (BENCH_ERR_STEP_TIMEOUT)`,
    ...(config.injectDelay.length > 0
      ? { injectedDelay: `TEST ONLY: these transports' deliveries were delayed on purpose by the server (run --inject-delay): ${config.injectDelay.join(', ')} ms. Their latency is not theirs` }
      : {}),
    network: networkText(config, droppedPackets),
    clientRuntime: browserUnavailable !== undefined
      ? `Node clients in the load process (clients/); the steps with runtime=browser were ${browserUnavailable}`
      : config.clientRuntime.includes('browser')
      ? `steps with runtime=browser: their clients ran in headless Chromium ${chromium ?? '(not started: no such step ran)'} through playwright-core, up to 50 a page, the HTTP ones spread over host names c<N>.localhost, 5 per host (Chromium opens at most 6 HTTP/1.1 connections per host); receive times taken in the page (performance.now(), the page cross-origin isolated) and mapped to the server's clock by the shortest of 30 clock ping-pongs over the step's transport, whose half round trip each step's notes give; bytes counted on the server's sockets per client (GET /meter). Raw TCP is not applicable in a browser (BENCH_ERR_NOT_APPLICABLE). Other steps: Node clients in the load process`
      : 'Node clients in the load process (clients/)',
    busyPoll: config.busyPoll
      ? 'on: the load process kept a setImmediate chain pending, so it never slept and no idle-CPU wake-up entered latency; its CPU reads ~100 % by design and generator saturation was judged by event-loop delay alone'
      : 'off: the load process slept when idle, so latency at low rates includes waking its CPU (see --busy-poll)',
  };
}

/** How the load was split over agents, if it was. */
function agentsText(config: ResolvedConfig, agentsShareCore: boolean, joined: readonly LoadAgent[]): string {
  const local = config.agents > 1 ? config.agents : 0;
  if (local + joined.length === 0) return 'one load process';
  const who = [
    local > 0 ? `${local} load agents started by the run (transport-bench agent processes sharing its CPU affinity and the machine's monotonic clock)` : '',
    joined.length > 0
      ? `${joined.length} that joined it through the feed's Redis (transport-bench agent --join: ${joined.map((a) => `${a.label}, clock ${a.clock ? formatClockOffset(a.clock) : 'not measured'} when last measured`).join('; ')}), each one's clock offset to the run's measured before every step's connect by the shortest of 16 pings through Redis (the agent's reading lies within the round trip, so the offset is known to ± half of it; each step's notes give it), and its receive and send stamps mapped onto the run's clock by it`
      : '',
  ].filter(Boolean).join(', and ');
  const cpu =
    agentsShareCore
      ? "the agents share the load core: the generator's CPU is their sum, in percent of that core, and its memory their sum; its event loop the busiest agent's"
      : joined.length > 0
        ? "agents that joined run on their own cores or hosts: the generator's CPU and event loop are the busiest agent's, its memory their sum"
        : "the run is not pinned, so the agents may use every core: the generator's CPU and event loop are the busiest agent's, its memory their sum";
  return (
    `push, capacity, ceiling, chat and idle: Node clients in ${who}; agent a holds a contiguous slice of the clients numbered as in one process and connects its share of the pool's ${DEFAULT_CONNECT_CONCURRENCY} connections in flight; each records its slice's deliveries and latencies and ships counts, encoded HdrHistograms with their exact maxima and a log of the messages it saw, merged exactly (buckets added, never percentiles averaged; each message's lag and byte split counted once, whichever agents saw it); in chat each agent paces its own clients' events of the one open loop (event k is client k mod C's), with a 2 ms spin lead instead of 15 ms since several pacers may share a core; ` +
    cpu +
    '. Other scenarios: clients in the load process'
  );
}
