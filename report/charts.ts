import type { Results } from '../results/schema.ts';
import type { ChartSpec } from './chart-spec.ts';
import { bandwidthChart, bytesChart, handshakeBytesChart, handshakeTimeChart, idleChart, pollingChart } from './charts-cost.ts';
import { capacityChart, capacityStepsChart, loadChart, percentileChart, scenarioLatencyChart } from './charts-latency.ts';
import { conditionsChart } from './charts-conditions.ts';
import { nodesChart, payloadChart, rttChart } from './charts-sweeps.ts';
import { headlinePoint } from './select-steps.ts';

/**
 * Every chart of one run, keyed by its place on the page. Ids are `<run prefix>-<name>` so several runs
 * can share one page; the HTML puts a canvas with that id wherever a chart has data.
 */

export const CHART_NAMES = [
  'latency-corrected',
  'latency-uncorrected',
  'latency-vs-rate',
  'latency-vs-clients',
  'latency-vs-payload',
  'overhead-vs-payload',
  'capacity',
  'capacity-steps',
  'ceiling',
  'ceiling-steps',
  'chat-latency',
  'rtt-latency',
  'bytes-per-message',
  'handshake-bytes',
  'handshake-time',
  'idle-bytes',
  'idle-memory',
  'polling-tradeoff',
  'bandwidth',
  'conditions-latency',
  'conditions-tail',
  'conditions-setup',
  'conditions-bytes',
  'conditions-errors',
  'latency-vs-rtt',
  'setup-vs-rtt',
  'latency-vs-nodes',
  'throughput-vs-nodes',
] as const;
export type ChartName = (typeof CHART_NAMES)[number];

/** Charts only a run on several server nodes draws (run --nodes 1,2,4 --feed redis): a note elsewhere. */
export const NODE_SWEEP_CHARTS: readonly ChartName[] = ['latency-vs-nodes', 'throughput-vs-nodes'];

export type RunCharts = Record<ChartName, ChartSpec>;

export function buildCharts(results: Results, prefix: string, point = headlinePoint(results)): RunCharts {
  const id = (name: ChartName) => `${prefix}-${name}`;
  return {
    'latency-corrected': percentileChart(id('latency-corrected'), results, point, 'latency'),
    'latency-uncorrected': percentileChart(id('latency-uncorrected'), results, point, 'latencyUncorrected'),
    'latency-vs-rate': loadChart(id('latency-vs-rate'), results, point, 'rate'),
    'latency-vs-clients': loadChart(id('latency-vs-clients'), results, point, 'clients'),
    'latency-vs-payload': payloadChart(id('latency-vs-payload'), results, 'latency'),
    'overhead-vs-payload': payloadChart(id('overhead-vs-payload'), results, 'overhead'),
    capacity: capacityChart(id('capacity'), results),
    'capacity-steps': capacityStepsChart(id('capacity-steps'), results),
    ceiling: capacityChart(id('ceiling'), results, 'ceiling'),
    'ceiling-steps': capacityStepsChart(id('ceiling-steps'), results, 'ceiling'),
    'chat-latency': scenarioLatencyChart(id('chat-latency'), results, 'chat'),
    'rtt-latency': scenarioLatencyChart(id('rtt-latency'), results, 'rtt'),
    'bytes-per-message': bytesChart(id('bytes-per-message'), results, point),
    'handshake-bytes': handshakeBytesChart(id('handshake-bytes'), results),
    'handshake-time': handshakeTimeChart(id('handshake-time'), results),
    'idle-bytes': idleChart(id('idle-bytes'), results, 'bytes'),
    'idle-memory': idleChart(id('idle-memory'), results, 'memory'),
    'polling-tradeoff': pollingChart(id('polling-tradeoff'), results, point),
    bandwidth: bandwidthChart(id('bandwidth'), results, point),
    'conditions-latency': conditionsChart(id('conditions-latency'), results, 'latency'),
    'conditions-tail': conditionsChart(id('conditions-tail'), results, 'tail'),
    'conditions-setup': conditionsChart(id('conditions-setup'), results, 'setup'),
    'conditions-bytes': conditionsChart(id('conditions-bytes'), results, 'bytes'),
    'conditions-errors': conditionsChart(id('conditions-errors'), results, 'errors'),
    'latency-vs-rtt': rttChart(id('latency-vs-rtt'), results, 'latency'),
    'setup-vs-rtt': rttChart(id('setup-vs-rtt'), results, 'setup'),
    'latency-vs-nodes': nodesChart(id('latency-vs-nodes'), results, 'latency'),
    'throughput-vs-nodes': nodesChart(id('throughput-vs-nodes'), results, 'throughput'),
  };
}
