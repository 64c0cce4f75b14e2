import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { classify, installErrorHandling } from '../../servers/error-handling.ts';
import { ERROR_CODES, errorBody } from '../../protocol/error-codes.ts';

/** A Fastify error as the validator would raise it, for one keyword on one field. */
function validationError(context: string, field: string | undefined, keyword: string, message: string): FastifyError {
  const params = field && keyword === 'required' ? { missingProperty: field } : {};
  return Object.assign(new Error(message), {
    validation: [{ keyword, instancePath: field && keyword !== 'required' ? `/${field}` : '', schemaPath: '', params, message }],
    validationContext: context,
    statusCode: 400,
  }) as unknown as FastifyError;
}
const fastifyError = (code: string, message: string, statusCode?: number) =>
  Object.assign(new Error(message), { code, statusCode }) as FastifyError;

describe('#errorBody', () => {
  it('names the status and carries the code and message', () => {
    expect(errorBody(429, ERROR_CODES.TOO_MANY_WAITERS, 'wait')).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      code: 'TB_ERR_TOO_MANY_WAITERS',
      message: 'wait',
    });
    expect(errorBody(418, 'X', 'y').error).toBe('Error');
  });
});

describe('#classify', () => {
  it.each([
    ['a bad cursor', validationError('querystring', 'cursor', 'minimum', 'must be >= 0'), 400, 'TB_ERR_BAD_CURSOR', 'querystring.cursor must be >= 0 (a non-negative integer)'],
    ['a bad room', validationError('querystring', 'room', 'pattern', 'must match pattern'), 400, 'TB_ERR_BAD_ROOM', 'querystring.room must match pattern (1-64 of A-Z a-z 0-9 _ -)'],
    ['a missing room', validationError('querystring', 'room', 'required', "must have required property 'room'"), 400, 'TB_ERR_BAD_ROOM', "querystring.room must have required property 'room' (1-64 of A-Z a-z 0-9 _ -)"],
    ['another query field', validationError('querystring', 'other', 'type', 'must be integer'), 400, 'TB_ERR_BAD_REQUEST', 'querystring.other must be integer'],
    ['a bad body field', validationError('body', 'payload', 'type', 'must be string'), 400, 'TB_ERR_BAD_BODY', 'body.payload must be string'],
    ['a body that is no object', validationError('body', undefined, 'type', 'must be object'), 400, 'TB_ERR_BAD_BODY', 'body must be object'],
    ['a payload over maxPayload', validationError('body', 'payload', 'maxLength', 'must NOT have more than 10 characters'), 413, 'TB_ERR_PAYLOAD_TOO_LARGE', 'body.payload must NOT have more than 10 characters'],
    ['a body over bodyLimit', fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large', 413), 413, 'TB_ERR_BODY_TOO_LARGE', 'Request body is too large'],
    ['invalid JSON', fastifyError('FST_ERR_CTP_INVALID_JSON_BODY', 'Body is not valid JSON', 400), 400, 'TB_ERR_BAD_BODY', 'Body is not valid JSON'],
    ['an empty JSON body', fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 'Body cannot be empty', 400), 400, 'TB_ERR_BAD_BODY', 'Body cannot be empty'],
    ['a bad content-length', fastifyError('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'bad length', 400), 400, 'TB_ERR_BAD_BODY', 'bad length'],
    ['a raw SyntaxError', new SyntaxError('Unexpected token') as FastifyError, 400, 'TB_ERR_BAD_BODY', 'body is not valid JSON: Unexpected token'],
    ['a 4xx with its own code', fastifyError('TB_ERR_BAD_BODY', 'body.room must be string', 400), 400, 'TB_ERR_BAD_BODY', 'body.room must be string'],
    ['a 4xx without a code', Object.assign(new Error('no'), { statusCode: 405 }) as FastifyError, 405, 'TB_ERR_BAD_REQUEST', 'no'],
    ['anything else', new Error('boom') as FastifyError, 500, 'TB_ERR_INTERNAL', 'boom'],
  ])('maps %s', (_name, error, statusCode, code, message) => {
    expect(classify(error, 'application/json')).toEqual(errorBody(statusCode, code, message));
  });

  it('maps an unsupported content type to 415, naming it', () => {
    expect(classify(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported Media Type', 415), 'application/x-www-form-urlencoded')).toEqual(
      errorBody(415, 'TB_ERR_UNSUPPORTED_MEDIA_TYPE', "unsupported content-type 'application/x-www-form-urlencoded'; send application/json"),
    );
    // text/plain is parsed by Fastify, so it fails body validation instead; the content type is still the cause.
    expect(classify(validationError('body', undefined, 'type', 'must be object'), 'text/plain; charset=utf-8')).toMatchObject({
      statusCode: 415,
      code: 'TB_ERR_UNSUPPORTED_MEDIA_TYPE',
    });
    expect(classify(validationError('body', undefined, 'type', 'must be object'), 'application/json; charset=utf-8').statusCode).toBe(400);
  });

  it('never turns a 5xx status from an error into a client error, nor a 3xx into one', () => {
    expect(classify(fastifyError('X', 'down', 503)).statusCode).toBe(500);
    expect(classify(fastifyError('X', 'moved', 302)).statusCode).toBe(500);
  });
});

describe('#installErrorHandling', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const build = () => {
    app = Fastify();
    installErrorHandling(app);
    app.get('/q', { schema: { querystring: { type: 'object', properties: { cursor: { type: 'integer', minimum: 0 } } } } }, async () => ({ ok: true }));
    app.post('/b', { schema: { body: { type: 'object', required: ['room'], properties: { room: { type: 'string' } } } } }, async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('bug');
    });
    return app;
  };

  it('answers validation failures with a JSON 400 that names the field', async () => {
    const res = await build().inject({ url: '/q?cursor=-3' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(errorBody(400, 'TB_ERR_BAD_CURSOR', 'querystring.cursor must be >= 0 (a non-negative integer)'));
  });

  it('answers a text/plain body with 415 and a form body with 415', async () => {
    const plain = await build().inject({ method: 'POST', url: '/b', headers: { 'content-type': 'text/plain' }, payload: '{"room":"a"}' });
    expect(plain.statusCode).toBe(415);
    const form = await app!.inject({ method: 'POST', url: '/b', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'room=a' });
    expect(form.json()).toMatchObject({ statusCode: 415, message: expect.stringContaining('application/x-www-form-urlencoded') });
  });

  it('answers an unknown route with a JSON 404 naming method and path', async () => {
    const res = await build().inject({ method: 'DELETE', url: '/nowhere?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(errorBody(404, 'TB_ERR_NOT_FOUND', 'no route DELETE /nowhere; see docs/protocol.md'));
  });

  it('answers a bug with a JSON 500 and goes on serving', async () => {
    const res = await build().inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual(errorBody(500, 'TB_ERR_INTERNAL', 'bug'));
    expect(res.json().error).toBe('Internal Server Error');
    expect((await app!.inject({ url: '/q?cursor=1' })).json()).toEqual({ ok: true });
  });
});
