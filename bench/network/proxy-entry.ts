import { DelayProxy, type ProxyConditions } from './delay-proxy.ts';
import { startResourceWindow, type ResourceWindow } from '../../servers/resource-sampler.ts';

/**
 * The network-emulation proxies' own process (bench/network/proxy-process.ts starts it): its CPU is then
 * neither the server's nor the load generator's, and each can be read apart. It holds one DelayProxy per
 * (target, conditions) the harness asks for and answers over IPC, one JSON value per message.
 */

export type ProxyRequest =
  | { type: 'open'; id: number; target: { host: string; port: number }; conditions: ProxyConditions; listenHost?: string; localAddress?: string }
  | { type: 'close'; id: number; port: number }
  | { type: 'window-start'; id: number }
  | { type: 'window-end'; id: number }
  | { type: 'cpu'; id: number };

export type ProxyReply =
  | { type: 'reply'; id: number; port: number; host: string }
  | { type: 'reply'; id: number; cpuPercent: number }
  | { type: 'reply'; id: number; cpuUs: number }
  | { type: 'reply'; id: number }
  | { type: 'error'; id: number; message: string };

const proxies = new Map<number, DelayProxy>();
let window: ResourceWindow | undefined;

async function handle(request: ProxyRequest): Promise<ProxyReply> {
  switch (request.type) {
    case 'open': {
      const proxy = await DelayProxy.start(request.target, request.conditions, request.listenHost, request.localAddress);
      proxies.set(proxy.port, proxy);
      return { type: 'reply', id: request.id, host: proxy.host, port: proxy.port };
    }
    case 'close':
      await proxies.get(request.port)?.close();
      proxies.delete(request.port);
      return { type: 'reply', id: request.id };
    case 'window-start':
      window = startResourceWindow();
      return { type: 'reply', id: request.id };
    case 'cpu': {
      const used = process.cpuUsage();
      return { type: 'reply', id: request.id, cpuUs: used.user + used.system };
    }
    case 'window-end':
      return { type: 'reply', id: request.id, cpuPercent: (window ?? startResourceWindow()).end().cpuPercent };
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
