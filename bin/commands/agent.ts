import { EXIT } from '../exit-codes.ts';
import type { AgentEnvelope, AgentReply } from '../../bench/agent/agent-protocol.ts';

/**
 * `transport-bench agent`: a load agent, which connects a slice of a step's clients and records what they receive
 * (bench/agent/agent-protocol.ts). `run --agents N` starts N of them itself, each with an IPC channel to the run;
 * with `--join <redis-url>` one started by hand, here or on another host, joins a run (`run --join-agents M`)
 * through that Redis (bench/agent/hub-member.ts).
 */

const HELP = [
  'Usage: transport-bench agent --join <redis-url> [--name NAME]',
  '',
  'A load agent: connects a slice of a step\'s clients and records what they receive. `transport-bench run',
  '--agents N` starts N agents itself over IPC channels. Started by hand with --join, an agent waits in the',
  'lobby of that Redis until a run started with `--join-agents M --feed <the same Redis>` takes it, serves that',
  'run, and exits when it ends. The run measures the agent\'s clock against its own before each step (the',
  'shortest of 16 pings through Redis) and the agent maps its stamps by it, so it may run on another host.',
  '',
  'Options:',
  '  --join <url>   the Redis to join through: redis://host:port[/db], rediss://… or unix:///path/redis.sock',
  '                 (`run --feed redis` prints the URL of its private redis-server while it waits)',
  '  --name NAME    how the run names this agent (default host:pid)',
  '  -h, --help     this help',
  '',
  'Exit codes: 0 the run ended (or the IPC channel closed), 1 the run went away while the agent served it,',
  '2 bad usage, no IPC channel and no --join, or Redis not reachable; 130 stopped by Ctrl-C.',
].join('\n');

/** --join URL and --name NAME, or the reason they are wrong. */
function parseJoinArgs(argv: string[]): { join?: string; name?: string } | string {
  const parsed: { join?: string; name?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--join' && flag !== '--name') return `unknown option '${arg}'`;
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') return `option ${flag} needs a value`;
    if (flag === '--join') {
      if (!/^(redis|rediss|unix):\/\//.test(value)) return `invalid option --join: '${value}' is not a Redis URL (redis://host:port, rediss://… or unix:///path/redis.sock)`;
      try {
        new URL(value);
      } catch {
        return `invalid option --join: '${value}' is not a valid URL`;
      }
      parsed.join = value;
    } else parsed.name = value;
  }
  if (parsed.name !== undefined && parsed.join === undefined) return 'option --name goes with --join';
  return parsed;
}

/** Serves one run through Redis (--join): the exit code of how it ended. */
async function joinThroughRedis(url: string, name: string | undefined): Promise<number> {
  const { joinRun } = await import('../../bench/agent/hub-member.ts');
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\ntransport-bench agent: ${signal}: leaving\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // A test's hook: this agent's clock made to read ahead, as another host's would (hub-member.ts).
    const skew = Number(process.env.TRANSPORT_BENCH_AGENT_CLOCK_SKEW_US ?? 0);
    const outcome = await joinRun(url, { ...(name !== undefined ? { name } : {}), ...(Number.isFinite(skew) && skew !== 0 ? { clockSkewUs: skew } : {}), signal: controller.signal, log: (line) => process.stderr.write(`transport-bench agent: ${line}\n`) });
    if (outcome.ended === 'done') return EXIT.OK;
    if (outcome.ended === 'stopped') return EXIT.INTERRUPTED;
    process.stderr.write(`transport-bench agent: ${outcome.reason}\n`);
    return EXIT.FAILURE;
  } catch (error) {
    process.stderr.write(`transport-bench agent: --join: ${(error as Error).message}\n`);
    return EXIT.USAGE;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return EXIT.OK;
  }
  const options = parseJoinArgs(argv);
  if (typeof options === 'string') {
    process.stderr.write(`transport-bench agent: ${options}\n\n${HELP}\n`);
    return EXIT.USAGE;
  }
  if (options.join !== undefined) return joinThroughRedis(options.join, options.name);
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write(`transport-bench agent: no IPC channel and no --join: agents are started by \`transport-bench run --agents N\`, or by hand with \`transport-bench agent --join <redis-url>\` for a run with --join-agents\n`);
    return EXIT.USAGE;
  }
  const { AgentClients } = await import('../../bench/agent/agent-clients.ts');
  const controller = new AbortController();
  const clients = new AgentClients(controller.signal);
  // Ctrl-C in a terminal reaches the run, which closes its agents: an agent never stops on its own signal.
  process.on('SIGINT', () => {});

  const reply = (message: AgentReply): void => {
    if (process.connected) send(message);
  };
  process.on('message', (envelope: AgentEnvelope) => {
    clients.handle(envelope).then(
      (value) => reply({ id: envelope.id, ok: true, value }),
      (error: unknown) => reply({ id: envelope.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // Messages that arrive before a 'message' listener are lost: the run sends nothing before this.
  reply({ id: 0, ok: true, value: 'ready' });
  await new Promise<void>((resolve) => process.once('disconnect', resolve));
  controller.abort(new Error('the run closed the channel'));
  await clients.close();
  return EXIT.OK;
}
