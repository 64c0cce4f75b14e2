import { EXIT } from '../exit-codes.ts';
import type { AgentEnvelope, AgentReply } from '../../bench/agent/agent-protocol.ts';

/**
 * `transport-bench agent`: a load agent. `run --agents N` starts N of them, each with an IPC channel to the run,
 * and hands each a slice of a step's clients (bench/agent/agent-protocol.ts). It exits when the run closes the
 * channel or goes away. Exit codes: 0 the channel closed, 2 started without one (from a terminal).
 */

const HELP = [
  'Usage: transport-bench agent',
  '',
  'A load agent: connects a slice of a step\'s clients and records what they receive, for `transport-bench run',
  '--agents N`, which starts N agents itself over IPC channels; it is not started by hand.',
  'Exit codes: 0 the run closed the channel, 2 no IPC channel (started from a terminal).',
].join('\n');

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return EXIT.OK;
  }
  if (argv.length > 0) {
    process.stderr.write(`transport-bench agent: unknown option '${argv[0]}'\n\n${HELP}\n`);
    return EXIT.USAGE;
  }
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write(`transport-bench agent: no IPC channel: agents are started by \`transport-bench run --agents N\`\n`);
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
