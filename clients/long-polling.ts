import type { ClientFactory } from './client.ts';
import { PollingClient } from './short-polling.ts';

/**
 * Long polling: the same GET /poll loop as short polling, re-polling as soon as each answer arrives; the
 * server holds a poll until a message comes or its timeout passes, so there is no interval to wait.
 */
export const createLongPollingClient: ClientFactory = (options) => new PollingClient('long-polling', options, 0);
