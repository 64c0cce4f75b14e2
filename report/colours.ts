import type { StepResult } from '../results/schema.ts';

/** One colour per transport, the same in every chart and table (Okabe–Ito palette: safe for colour-blind readers). */

export type Transport = StepResult['transport'];

/** Display order: the polling family, then the push transports, then the raw TCP floor. */
export const TRANSPORT_ORDER: readonly Transport[] = ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse', 'tcp'];

export const TRANSPORT_COLOURS: Record<Transport, string> = {
  'short-polling': '#E69F00',
  'long-polling': '#D55E00',
  ws: '#0072B2',
  'socket-io': '#CC79A7',
  sse: '#009E73',
  tcp: '#4D4D4D',
};

export const TRANSPORT_LABELS: Record<Transport, string> = {
  'short-polling': 'Short polling',
  'long-polling': 'Long polling',
  ws: 'WebSocket (ws)',
  'socket-io': 'Socket.IO',
  sse: 'SSE',
  tcp: 'Raw TCP (floor)',
};

/** Names for use inside a sentence. */
export const TRANSPORT_NAMES: Record<Transport, string> = {
  'short-polling': 'short polling',
  'long-polling': 'long polling',
  ws: 'ws',
  'socket-io': 'Socket.IO',
  sse: 'SSE',
  tcp: 'raw TCP',
};

/** Neutral greys for parts that are not a transport (payload, envelope, SLA lines). */
export const NEUTRAL = { payload: '#C9CED6', envelope: '#8C96A3', reference: '#B00020' } as const;

/** `#RRGGBB` with an alpha, for lighter companions of a transport colour (p99 beside p50). */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function sortByTransport<T extends { transport: Transport }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => TRANSPORT_ORDER.indexOf(a.transport) - TRANSPORT_ORDER.indexOf(b.transport));
}
