import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mayRaiseHardLimits } from '../helpers/capabilities.ts';
import { resolveConfig } from '../../bench/config/config.ts';
import { fileLimit, filesNeeded, processesFor, raiseFileLimit } from '../../bench/run/file-limit.ts';

describe('open files for many connections', () => {
  it('counts the most connections one step holds, a file each, three per Socket.IO client in connect\'s storm, and room beside', () => {
    expect(filesNeeded(resolveConfig('smoke'))).toEqual({ connections: 12, files: 10 * 3 + 1_024 });
    expect(filesNeeded(resolveConfig('smoke', { transports: ['ws'], capacityClients: [10_000, 50_000] }))).toEqual({ connections: 50_000, files: 51_024 });
    expect(filesNeeded(resolveConfig('smoke', { transports: ['socket-io'], scenarios: ['capacity'], capacityClients: [10_000] }))).toEqual({ connections: 10_000, files: 11_024 });
    expect(filesNeeded(resolveConfig('smoke', { transports: ['socket-io'], scenarios: ['connect'], connectClients: 10_000 }))).toEqual({ connections: 10_000, files: 31_024 });
    expect(filesNeeded(resolveConfig('smoke', { transports: ['socket-io'], socketIoTransports: ['websocket'], scenarios: ['connect'], connectClients: 10_000 })).files).toBe(11_024);
  });

  it('counts per process under --agents and --nodes: each agent and each node holds its share', () => {
    const config = (agents: number, nodes: number[]) => resolveConfig('smoke', { transports: ['ws'], scenarios: ['capacity'], capacityClients: [50_000], agents, nodes, feed: nodes.some((n) => n > 1) ? 'redis' : 'memory' });
    expect(filesNeeded(config(3, [3]))).toEqual({ connections: 50_000, files: 16_667 + 1_024 });
    // A node count swept from 1: that one node holds them all, however many agents.
    expect(filesNeeded(config(3, [1, 3])).files).toBe(51_024);
    // Agents alone leave each server with all of them.
    expect(filesNeeded(config(3, [1])).files).toBe(51_024);
    // Scenarios whose clients stay in the load process are not split.
    expect(filesNeeded(resolveConfig('smoke', { transports: ['ws'], scenarios: ['connect'], connectClients: 30_000, agents: 3, nodes: [3], feed: 'redis' })).files).toBe(31_024);
    // The advice when one process cannot: enough processes for a 20,000 limit.
    expect(processesFor(50_000, 20_000)).toBe(3);
    expect(processesFor(10_000, 20_000)).toBe(1);
  });

  it('leaves a limit that is high enough, and refuses past the kernel\'s ceiling, saying why', () => {
    const now = fileLimit();
    expect(raiseFileLimit(now.soft)).toEqual({ ok: true, before: now, after: now });
    const ceiling = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8'));
    expect(raiseFileLimit(ceiling + 1)).toMatchObject({ ok: false, why: expect.stringMatching(/fs\.nr_open/) });
  });

  it.runIf(!mayRaiseHardLimits() && Number.isFinite(fileLimit().hard))('says why it cannot raise past the hard limit without CAP_SYS_RESOURCE', () => {
    const before = fileLimit();
    expect(raiseFileLimit(before.hard + 100)).toMatchObject({ ok: false, before, why: expect.stringMatching(/Operation not permitted.*only root with CAP_SYS_RESOURCE may raise it/) });
    expect(fileLimit()).toEqual(before);
  });

  it.runIf(mayRaiseHardLimits())('raises it past the hard limit with CAP_SYS_RESOURCE, for this process and the children it spawns', () => {
    const before = fileLimit();
    const outcome = raiseFileLimit(before.hard + 100);
    expect(outcome).toMatchObject({ ok: true, before });
    expect(fileLimit().soft).toBeGreaterThanOrEqual(before.hard + 100);
  });
});
