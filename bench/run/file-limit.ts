import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from '../config/config.ts';
import type { ScenarioName } from '../scenarios/scenario.ts';

/**
 * Open files for many connections: every client's socket is a file in the load process, and its other end one
 * in the server's. Node cannot set its own limits, so util-linux's prlimit raises this process's RLIMIT_NOFILE
 * before any server is spawned (children inherit it): the soft limit up to the hard one as anyone may, past
 * the hard one as root (CAP_SYS_RESOURCE) up to the kernel's fs.nr_open.
 */

export interface FileLimit {
  soft: number;
  hard: number;
}

/** Files a Socket.IO client holds while it upgrades: its polling GET and POST, and the websocket. */
const SOCKET_IO_UPGRADE_FILES = 3;
/** Files beside the connections: modules, pipes, the servers' own listeners, clients connecting (100 at a time). */
const FILES_BESIDE = 1_024;

/** This process's open-file limits, from /proc/self/limits ('unlimited' reads as Infinity). */
export function fileLimit(): FileLimit {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').slice('Max open files'.length).trim().split(/\s+/);
  const read = (text: string | undefined) => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: read(soft), hard: read(hard) };
}

/** The most clients each scenario's steps hold at once under `config` (its plan, bench/scenarios/). */
const CLIENTS_HELD: Record<ScenarioName, (config: ResolvedConfig) => number> = {
  push: (c) => Math.max(...c.clients),
  chat: (c) => Math.max(...c.clients),
  rtt: (c) => c.clients[0]!,
  connect: (c) => c.connectClients,
  idle: (c) => c.idleClients,
  capacity: (c) => Math.max(...c.capacityClients, ...c.capacityScaleClients),
  ceiling: (c) => c.ceilingClients,
  'http-overhead': (c) => c.autocannonConnections,
  drop: (c) => c.faultClients,
  crash: (c) => c.faultClients,
  'node-kill': (c) => c.faultClients,
  'redis-restart': (c) => c.faultClients,
  'slow-consumer': (c) => c.faultClients,
  hostile: () => 1,
};

/** The scenarios whose Node clients run in the load agents (run --agents). */
const IN_AGENTS: ReadonlySet<ScenarioName> = new Set(['push', 'capacity', 'ceiling', 'chat', 'idle']);

/** The processes that hold the agents' scenarios' clients: the load process alone, or the local and joined agents. */
function loadAgents(config: ResolvedConfig): number {
  return Math.max(1, (config.agents > 1 ? config.agents : 0) + config.joinAgents);
}

/**
 * The most connections one step of the run holds at once, and the open files the busiest process needs for them:
 * one per connection, in the load process (or, for push, capacity, ceiling, chat and idle under --agents N, in each agent: a slice of
 * them) and in each server node (its share under --nodes; the smallest count of a sweep holds the most). A
 * Socket.IO client holds three while it upgrades (its polling GET and POST, then the websocket; clients/socket-io.ts
 * closes the first two once upgraded), which matters in connect's storm, where every client upgrades at once;
 * elsewhere clients connect fifty at a time, within the room beside.
 */
export function filesNeeded(config: ResolvedConfig): { connections: number; files: number } {
  const held = config.scenarios.map((name) => ({ name, connections: CLIENTS_HELD[name](config) }));
  const connections = Math.max(0, ...held.map((h) => h.connections));
  const nodes = Math.min(...config.nodes);
  const perProcess = Math.max(0, ...held.map((h) => Math.ceil(h.connections / (IN_AGENTS.has(h.name) ? loadAgents(config) : 1))));
  const perServer = Math.ceil(connections / nodes);
  const upgrades = config.transports.includes('socket-io') && config.socketIoTransports.includes('polling-upgrade');
  const storm = config.scenarios.includes('connect') && upgrades ? config.connectClients * SOCKET_IO_UPGRADE_FILES : 0;
  return { connections, files: Math.max(perProcess, perServer, storm) + FILES_BESIDE };
}

/** Agents and nodes that spread `connections` so that no process needs more than `limit` files: the advice when one cannot hold them. */
export function processesFor(connections: number, limit: number): number {
  return Math.ceil(connections / Math.max(1, limit - FILES_BESIDE));
}

/**
 * Raises this process's open-file limit to `files` when it is lower: the outcome, with the limit before, or why
 * it could not be raised (not root past the hard limit, prlimit missing, the kernel's ceiling).
 */
export function raiseFileLimit(files: number): { ok: true; before: FileLimit; after: FileLimit } | { ok: false; before: FileLimit; why: string } {
  const before = fileLimit();
  if (before.soft >= files) return { ok: true, before, after: before };
  const ceiling = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  if (files > ceiling) return { ok: false, before, why: `the kernel allows at most ${ceiling} open files per process (fs.nr_open)` };
  const hard = Math.max(before.hard, files);
  const result = spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${files}:${hard === Infinity ? 'unlimited' : hard}`], { encoding: 'utf8' });
  if (result.error) return { ok: false, before, why: `prlimit could not run (${result.error.message}); it is util-linux's, on every Debian` };
  const after = fileLimit();
  if (result.status !== 0 || after.soft < files) return { ok: false, before, why: `prlimit: ${(result.stderr || 'no change').trim().replace(/^prlimit: /, '')} (past the hard limit of ${before.hard} only root with CAP_SYS_RESOURCE may raise it)` };
  return { ok: true, before, after };
}
