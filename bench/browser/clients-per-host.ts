/**
 * Browser clients per host name by default (run --browser-clients-per-host): under Chromium's 6 HTTP/1.1
 * connections per host, with one to spare for a publish or a probe.
 */
export const DEFAULT_CLIENTS_PER_HOST = 5;
