import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin access for pages served from another origin (the live page on `serve`'s base port talks to every
 * transport's server on its own port): any origin may read the answers, without credentials. Only requests
 * that carry an Origin header get the header, so a Node client's bytes stay what they were. The preflight a
 * JSON POST /publish needs is answered here too.
 */

/** How long a browser may keep a preflight's answer, s. */
const PREFLIGHT_MAX_AGE_S = 600;

export function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    // On the raw response, so the hijacked ones (SSE) carry it as well.
    if (request.headers.origin !== undefined) reply.raw.setHeader('access-control-allow-origin', '*');
  });
  app.options('/*', async (_request, reply) => {
    void reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'content-type, last-event-id')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
  });
}
