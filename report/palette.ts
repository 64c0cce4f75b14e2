import type { TransportName } from '../protocol/transports.ts';

/** One colour per transport, the same in every chart and table (Okabe–Ito palette: safe for colour-blind readers). */
export const TRANSPORT_COLOURS: Record<TransportName, string> = {
  'short-polling': '#E69F00',
  'long-polling': '#D55E00',
  ws: '#0072B2',
  'socket-io': '#CC79A7',
  sse: '#009E73',
  tcp: '#4D4D4D',
};

/** Neutral greys for parts that are not a transport (payload, envelope, SLA lines). */
export const NEUTRAL = { payload: '#C9CED6', envelope: '#8C96A3', reference: '#B00020' } as const;

/** `#RRGGBB` with an alpha, for lighter companions of a transport colour (p99 beside p50). */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
