import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { ResourceSample } from '../protocol/server-ipc.ts';
import { waitedUs } from './pacer.ts';

/**
 * The resource figures of this process over a window: CPU time, memory at the end, event-loop utilisation
 * and event-loop delay. Used by the server process (the runner opens/closes the window over IPC) and by the
 * load process (RepeatContext.generator). Units as in results/schema.ts resourceSchema.
 */

/** Sampling interval of monitorEventLoopDelay, ms: fine enough for sub-second windows, cheap enough not to be measured. */
export const EVENT_LOOP_RESOLUTION_MS = 5;

export interface ResourceWindow {
  /** Closes the window and returns its figures; a second call returns the same figures. */
  end(): ResourceSample;
}

/** Opens a resource window now. */
export function startResourceWindow(): ResourceWindow {
  const startedAt = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const waitedBefore = waitedUs();
  const elu: EventLoopUtilization = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  let sample: ResourceSample | undefined;

  return {
    end() {
      if (sample) return sample;
      delay.disable();
      const wallUs = Number(process.hrtime.bigint() - startedAt) / 1000;
      const used = process.cpuUsage(cpu);
      // The publisher's idle turns keep the CPU busy for the pacer, not the transport: reported apart.
      const waited = waitedUs() - waitedBefore;
      const memory = process.memoryUsage();
      const utilisation = performance.eventLoopUtilization(elu).utilization;
      // The histogram records whole sampling intervals, so the resolution itself is not delay.
      const delayMs = (percentile: number) => Math.max(0, (delay.count > 0 ? delay.percentile(percentile) : 0) / 1e6 - EVENT_LOOP_RESOLUTION_MS);
      sample = {
        cpuPercent: wallUs > 0 ? (Math.max(0, used.user + used.system - waited) / wallUs) * 100 : 0,
        publisherWaitPercent: wallUs > 0 ? (waited / wallUs) * 100 : 0,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        eventLoopUtilisation: Number.isFinite(utilisation) ? utilisation * 100 : 0,
        eventLoopDelayP99Ms: delayMs(99),
        eventLoopDelayP90Ms: delayMs(90),
      };
      return sample;
    },
  };
}
