import { readFileSync } from 'node:fs';

/** Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff), which may raise the hard open-file limit: root in a container may not. */
export function mayRaiseHardLimits(): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 24n)) !== 0n;
}
