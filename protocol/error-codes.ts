import type { ErrorBody } from './message.ts';

/**
 * The wire's error codes, one catalogue: every 4xx answer, error frame and error line carries one of these
 * in `code`. docs/protocol.md lists them with the status each comes with.
 */

export const ERROR_CODES = {
  BAD_REQUEST: 'TB_ERR_BAD_REQUEST',
  /** Node's HTTP parser could not read the request at all (garbage, a bad request line or header) (HTTP 400). */
  MALFORMED_HTTP: 'TB_ERR_MALFORMED_HTTP',
  /** The request's headers were not received within requestTimeoutMs (a slowloris) (HTTP 408). */
  REQUEST_TIMEOUT: 'TB_ERR_REQUEST_TIMEOUT',
  /** The request's headers are over Node's limit (16 KiB) (HTTP 431). */
  HEADERS_TOO_LARGE: 'TB_ERR_HEADERS_TOO_LARGE',
  BAD_CURSOR: 'TB_ERR_BAD_CURSOR',
  BAD_ROOM: 'TB_ERR_BAD_ROOM',
  BAD_BODY: 'TB_ERR_BAD_BODY',
  BODY_TOO_LARGE: 'TB_ERR_BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'TB_ERR_UNSUPPORTED_MEDIA_TYPE',
  NOT_FOUND: 'TB_ERR_NOT_FOUND',
  TOO_MANY_WAITERS: 'TB_ERR_TOO_MANY_WAITERS',
  TOO_MANY_ROOMS: 'TB_ERR_TOO_MANY_ROOMS',
  PAYLOAD_TOO_LARGE: 'TB_ERR_PAYLOAD_TOO_LARGE',
  /** A plain request to a WebSocket endpoint (HTTP 426). */
  UPGRADE_REQUIRED: 'TB_ERR_UPGRADE_REQUIRED',
  /** A raw TCP line longer than tcpMaxLine (the connection is closed). */
  LINE_TOO_LONG: 'TB_ERR_LINE_TOO_LONG',
  /** The shared feed's Redis could not take a publish (HTTP 503): try again. */
  FEED_UNAVAILABLE: 'TB_ERR_FEED_UNAVAILABLE',
  /** A bug in this project, never the client's fault (HTTP 500). */
  INTERNAL: 'TB_ERR_INTERNAL',
} as const;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(statusCode: number, code: string, message: string): ErrorBody {
  return { statusCode, error: STATUS_TEXT[statusCode] ?? 'Error', code, message };
}
