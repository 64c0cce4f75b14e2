import { DelayProxy, type ProxyConditions } from './delay-proxy.ts';

/**
 * The network-emulation proxies' own process (bench/network/proxy-process.ts starts it): its CPU is then
 * neither the server's nor the load generator's, and each can be read apart. It holds one DelayProxy per
 * (target, conditions) the harness asks for and answers over IPC, one JSON value per message.
 */

export type ProxyRequest =
  | { type: 'open'; id: number; target: { host: string; port: number }; conditions: ProxyConditions; listenHost?: string; localAddress?: string }
  | { type: 'cpu'; id: number };

export type ProxyReply =
  | { type: 'reply'; id: number; port: number; host: string }
  | { type: 'reply'; id: number; cpuUs: number }
  | { type: 'error'; id: number; message: string };

// Kept for the process's life: a path stays open while its server lives (network-path.ts).
const proxies = new Map<number, DelayProxy>();

async function handle(request: ProxyRequest): Promise<ProxyReply> {
  switch (request.type) {
    case 'open': {
      const proxy = await DelayProxy.start(request.target, request.conditions, request.listenHost, request.localAddress);
      proxies.set(proxy.port, proxy);
      return { type: 'reply', id: request.id, host: proxy.host, port: proxy.port };
    }
    case 'cpu': {
      const used = process.cpuUsage();
      return { type: 'reply', id: request.id, cpuUs: used.user + used.system };
    }
  }
}

process.on('message', (raw: unknown) => {
  const request = raw as ProxyRequest;
  handle(request).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) }),
  );
});
// The harness gone, nothing to proxy for.
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
