import { spawnSync } from 'node:child_process';
import { TOOL_ERRORS, ToolError } from '../../protocol/tool-errors.ts';

/**
 * Real TCP packet loss for `run --loss P`: a network namespace of our own joined to this one by a veth pair,
 * with iptables dropping P % of the packets to and from the clients' side of it, at random (`-m statistic
 * --mode random`). The kernel then retransmits, and head-of-line blocking shows as it does in life. There is
 * no netem in this kernel; this works here as root with Debian's iptables (`apt-get install iptables`).
 *
 *   host 10.213.N.1 (tbhN) ── veth ── (tbnN) namespace tb-loss-N: 10.213.N.2 clients' side, lossy
 *                                                                    10.213.N.3 server's side, lossless
 *
 * The namespace's proxy (bench/network/network-path.ts) listens on .2 and connects out from .3, through a
 * relay on .1 in this namespace to the server on 127.0.0.1; only the clients' leg loses packets, so a
 * message crosses one lossy hop each way.
 */

export const INSTALL_IPTABLES = 'apt-get install -y --no-install-recommends iptables';

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stderr ?? ''}${result.stdout ?? ''}`.trim() || (result.error?.message ?? '') };
}

const has = (command: string): boolean => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Why --loss cannot work here, or undefined when it can (root, ip and iptables present). */
export function lossUnsupportedReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (a network namespace, a veth pair and iptables rules)';
  if (!has('ip')) return 'it needs the ip command (Debian: apt-get install iproute2)';
  if (!has('iptables')) return `it needs iptables (Debian: ${INSTALL_IPTABLES})`;
  return undefined;
}

/** Throws a clear input error when --loss cannot be honoured here: nothing silently runs without loss. */
export function assertLossSupported(): void {
  const why = lossUnsupportedReason();
  if (why) throw new ToolError(TOOL_ERRORS.LOSS_UNSUPPORTED, `--loss cannot be emulated here: ${why}`);
}

/** The first 10.213.N.0/29 from `start` on that no interface here uses (another run's namespace might). */
function freeSubnet(start: number): number {
  for (let i = 0; i < 250; i++) {
    const n = (start + i) % 250;
    if (run('ip', ['-o', 'addr', 'show', 'to', `10.213.${n}.0/29`]).output === '') return n;
  }
  throw new ToolError(TOOL_ERRORS.LOSS_UNSUPPORTED, '--loss cannot be emulated here: every 10.213.N.0/29 subnet is in use');
}

export class LossNamespace {
  readonly name: string;
  readonly hostDevice: string;
  /** The host's end of the veth: the relay to the server listens here. */
  readonly hostAddress: string;
  /** The clients' side inside the namespace: the proxy listens here, and iptables drops P % of its packets. */
  readonly clientSideAddress: string;
  /** The server's side inside the namespace: the proxy connects out from here, without loss. */
  readonly serverSideAddress: string;
  #dropped = false;

  private constructor(
    readonly index: number,
    readonly lossPercent: number,
  ) {
    this.name = `tb-loss-${process.pid}-${index}`;
    // Interface names are at most 15 characters.
    this.hostDevice = `tbh${process.pid % 100_000}${index}`.slice(0, 15);
    const net = `10.213.${freeSubnet((process.pid + index) % 250)}`;
    this.hostAddress = `${net}.1`;
    this.clientSideAddress = `${net}.2`;
    this.serverSideAddress = `${net}.3`;
  }

  /** Creates the namespace, the veth pair, the addresses and the drop rules; throws with the failing command. */
  static create(index: number, lossPercent: number): LossNamespace {
    assertLossSupported();
    const ns = new LossNamespace(index, lossPercent);
    const inner = `tbn${process.pid % 100_000}${index}`.slice(0, 15);
    const probability = (lossPercent / 100).toFixed(6);
    const steps: Array<[string, string[]]> = [
      ['ip', ['netns', 'add', ns.name]],
      ['ip', ['link', 'add', ns.hostDevice, 'type', 'veth', 'peer', 'name', inner]],
      ['ip', ['link', 'set', inner, 'netns', ns.name]],
      ['ip', ['addr', 'add', `${ns.hostAddress}/29`, 'dev', ns.hostDevice]],
      ['ip', ['link', 'set', ns.hostDevice, 'up']],
      ['ip', ['netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.clientSideAddress}/29`, 'dev', inner]],
      ['ip', ['netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.serverSideAddress}/29`, 'dev', inner]],
      ['ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', inner, 'up']],
      ['ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up']],
      ['ip', ['netns', 'exec', ns.name, 'iptables', '-A', 'INPUT', '-d', ns.clientSideAddress, '-m', 'statistic', '--mode', 'random', '--probability', probability, '-j', 'DROP']],
      ['ip', ['netns', 'exec', ns.name, 'iptables', '-A', 'OUTPUT', '-s', ns.clientSideAddress, '-m', 'statistic', '--mode', 'random', '--probability', probability, '-j', 'DROP']],
    ];
    LIVE.add(ns);
    for (const [command, args] of steps) {
      const result = run(command, args);
      if (!result.ok) {
        ns.destroy();
        throw new ToolError(TOOL_ERRORS.LOSS_UNSUPPORTED, `--loss cannot be emulated here: \`${command} ${args.join(' ')}\` failed: ${result.output}`);
      }
    }
    return ns;
  }

  /** The command prefix that runs a program inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.name];
  }

  /** Packets the two rules dropped so far, in and out (iptables' counters). */
  droppedPackets(): { in: number; out: number } {
    const count = (chain: string): number => {
      const listed = run('ip', ['netns', 'exec', this.name, 'iptables', '-L', chain, '-v', '-x', '-n']);
      const rule = listed.output.split('\n').find((line) => line.includes('DROP') && line.includes('statistic'));
      return rule ? Number(rule.trim().split(/\s+/)[0]) : 0;
    };
    return { in: count('INPUT'), out: count('OUTPUT') };
  }

  /** Deletes the namespace and the veth pair (idempotent). */
  destroy(): void {
    if (this.#dropped) return;
    this.#dropped = true;
    LIVE.delete(this);
    run('ip', ['netns', 'del', this.name]);
    run('ip', ['link', 'del', this.hostDevice]);
  }
}

// Namespaces still standing are removed however this process exits.
const LIVE = new Set<LossNamespace>();
process.on('exit', () => {
  for (const ns of LIVE) ns.destroy();
});
