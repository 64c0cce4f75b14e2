import type { ResourceSample } from '../../protocol/server-ipc.ts';

/**
 * Several processes' resource samples as one (a transport's server nodes, the load agents): memory summed, what
 * they hold in all; event-loop figures the busiest process's, since a client waits on its own process's loop;
 * CPU summed (what the work costs in all, or processes sharing one core) or the busiest's (processes free to
 * use a core each); the publisher's wait as the caller says.
 */
export function combineSamples(samples: readonly ResourceSample[], options: { cpu: 'sum' | 'max'; publisherWaitPercent: number }): ResourceSample {
  const max = (key: keyof ResourceSample) => Math.max(...samples.map((s) => s[key]));
  const sum = (key: keyof ResourceSample) => samples.reduce((n, s) => n + s[key], 0);
  return {
    cpuPercent: options.cpu === 'sum' ? sum('cpuPercent') : max('cpuPercent'),
    publisherWaitPercent: options.publisherWaitPercent,
    rssBytes: sum('rssBytes'),
    heapUsedBytes: sum('heapUsedBytes'),
    eventLoopUtilisation: max('eventLoopUtilisation'),
    eventLoopDelayP99Ms: max('eventLoopDelayP99Ms'),
    eventLoopDelayP90Ms: max('eventLoopDelayP90Ms'),
  };
}
