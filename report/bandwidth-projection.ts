import type { OkStep, Results } from '../results/schema.ts';
import { isFlagged } from './chart-spec.ts';
import { polls, pollsOnInterval, type TransportName } from '../protocol/transports.ts';
import { bytes, sig3 } from './format.ts';
import { rowLabel } from './headline.ts';
import { isOk, param, pushAtPoint, shortPollingSweep, type LoadPoint } from './select-steps.ts';

/**
 * Lubbers & Greco's table rebuilt from measured bytes: the bandwidth N clients need when each receives
 * one message per second. Mbps here is 10^6 bit/s (theirs was 2^20); both directions are counted.
 * - push transports (ws, Socket.IO, SSE, TCP): bytes per delivered message as measured;
 * - long polling: one poll answered per message, so the per-poll overhead plus payload and envelope;
 * - short polling at interval T: 1000/T polls per second, each costing the per-poll overhead, plus the
 *   message itself. Per-poll overhead = transport bytes per message × messages per poll (delivered/s ÷ requests/s).
 */

export const PROJECTION_CLIENTS = [1_000, 10_000, 100_000] as const;

/** Lubbers & Greco's own figures (871 B headers per poll, 2-byte frames), in their 2^20 bit/s Mbps. */
export const LUBBERS_GRECO = { polling: [6.6, 66, 665], websocket: [0.015, 0.153, 1.526] } as const;

export interface ProjectionColumn {
  transport: TransportName;
  label: string;
  pollIntervalMs?: number;
  stepId: string;
  /** Bytes per client per second at one message per second, both directions. */
  bytesPerClientPerSec: number;
  /** The part of it the transport adds (no payload, no envelope): what Lubbers & Greco counted. */
  overheadBytesPerClientPerSec: number;
  /** How the figure was made from the measurement, in words. */
  basis: string;
  /** Mbps (10^6 bit/s) at each of PROJECTION_CLIENTS. */
  mbps: number[];
  /** Mbps of the transport overhead alone at each of PROJECTION_CLIENTS. */
  overheadMbps: number[];
  flagged: boolean;
}

export function bandwidthProjection(results: Results, point: LoadPoint): ProjectionColumn[] {
  const steps = [...pushAtPoint(results, point).values()].filter((s) => s.transport !== 'short-polling');
  steps.unshift(...shortPollingSweep(results, point));
  const columns: ProjectionColumn[] = [];
  for (const step of steps) {
    if (!isOk(step) || !step.metrics.bytesPerMessage) continue;
    const { bytesPerClientPerSec, overheadBytesPerClientPerSec, basis } = perClientPerSecond(step);
    const pollIntervalMs = param(step, 'pollIntervalMs');
    columns.push({
      transport: step.transport,
      label: rowLabel({ transport: step.transport, pollIntervalMs }),
      pollIntervalMs,
      stepId: step.id,
      bytesPerClientPerSec,
      overheadBytesPerClientPerSec,
      basis,
      mbps: PROJECTION_CLIENTS.map((n) => toMbps(n, bytesPerClientPerSec)),
      overheadMbps: PROJECTION_CLIENTS.map((n) => toMbps(n, overheadBytesPerClientPerSec)),
      flagged: isFlagged(step),
    });
  }
  return columns;
}

const toMbps = (clients: number, bytesPerSec: number): number => (clients * bytesPerSec * 8) / 1e6;

function perClientPerSecond(step: OkStep): { bytesPerClientPerSec: number; overheadBytesPerClientPerSec: number; basis: string } {
  const b = step.metrics.bytesPerMessage!;
  const message = b.payload + b.envelope;
  const delivered = step.metrics.deliveredPerSec?.median;
  const requests = step.metrics.requestsPerSec?.median;
  const polling = polls(step.transport);
  if (!polling || !delivered || !requests) {
    return { bytesPerClientPerSec: b.total.median, overheadBytesPerClientPerSec: b.transport.median, basis: `${bytes(b.total.median)} per message as measured` };
  }
  const perPoll = (b.transport.median * delivered) / requests;
  if (!pollsOnInterval(step.transport)) {
    return { bytesPerClientPerSec: perPoll + message, overheadBytesPerClientPerSec: perPoll, basis: `1 poll/s × ${bytes(perPoll)} per poll + ${bytes(message)} message` };
  }
  const interval = param(step, 'pollIntervalMs') ?? 1000;
  const pollsPerSec = 1000 / interval;
  return {
    bytesPerClientPerSec: pollsPerSec * perPoll + message,
    overheadBytesPerClientPerSec: pollsPerSec * perPoll,
    basis: `${sig3(pollsPerSec)} polls/s × ${bytes(perPoll)} per poll + ${bytes(message)} message`,
  };
}
