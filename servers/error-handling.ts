import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_CODES, errorBody } from '../protocol/error-codes.ts';
import type { ErrorBody } from '../protocol/message.ts';

/** Maps Fastify's own errors (validation, body parsing, limits) to a 4xx with a message that says what was wrong. */
export function classify(error: FastifyError, contentType?: string): ErrorBody {
  if (error.validation) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'request';
    // Fastify parses text/plain itself, so a non-JSON body first shows up here as "body must be object".
    if (where === 'body' && contentType !== undefined && !/^application\/json\b/i.test(contentType)) {
      return errorBody(415, ERROR_CODES.UNSUPPORTED_MEDIA_TYPE, `unsupported content-type '${contentType}'; send application/json`);
    }
    const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const subject = field ? `${where}.${field}` : where;
    if (where === 'body' && field === 'payload' && first?.keyword === 'maxLength') {
      return errorBody(413, ERROR_CODES.PAYLOAD_TOO_LARGE, `${subject} ${first.message ?? 'is too long'}`);
    }
    let code: string = ERROR_CODES.BAD_REQUEST;
    if (field === 'cursor') code = ERROR_CODES.BAD_CURSOR;
    else if (field === 'room') code = ERROR_CODES.BAD_ROOM;
    else if (where === 'body') code = ERROR_CODES.BAD_BODY;
    const hint = field === 'cursor' ? ' (a non-negative integer)' : field === 'room' ? ' (1-64 of A-Z a-z 0-9 _ -)' : '';
    return errorBody(400, code, `${subject} ${first?.message ?? 'is invalid'}${hint}`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, ERROR_CODES.BODY_TOO_LARGE, error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, ERROR_CODES.UNSUPPORTED_MEDIA_TYPE, `unsupported content-type '${contentType ?? ''}'; send application/json`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errorBody(400, ERROR_CODES.BAD_BODY, error.message);
  }
  if (error instanceof SyntaxError) return errorBody(400, ERROR_CODES.BAD_BODY, `body is not valid JSON: ${error.message}`);
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return errorBody(error.statusCode, error.code ?? ERROR_CODES.BAD_REQUEST, error.message);
  }
  return errorBody(500, ERROR_CODES.INTERNAL, error.message);
}

/** Every error leaves as JSON; client errors as 4xx. A 500 means a bug in this project, and is logged. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = classify(error, request.headers['content-type']);
    if (body.statusCode >= 500) request.log.error({ err: error }, 'unexpected error');
    void reply.code(body.statusCode).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(errorBody(404, ERROR_CODES.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0]}; see docs/protocol.md`));
  });
}

/**
 * Errors Node's HTTP server meets before Fastify sees a request (a request it cannot parse, headers too large,
 * a request not received in time): answered like every other error, as JSON with a TB_ERR_* code, and the
 * connection closed. Fastify's `clientErrorHandler` option.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? errorBody(408, ERROR_CODES.REQUEST_TIMEOUT, 'the request was not received in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? errorBody(431, ERROR_CODES.HEADERS_TOO_LARGE, 'the request headers are over 16 KiB')
        : errorBody(400, ERROR_CODES.MALFORMED_HTTP, `the request is not valid HTTP/1.1 (${error.code ?? error.message})`);
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`);
  }
  socket.destroy();
}
