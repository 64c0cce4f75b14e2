/**
 * The local address a pooled client connects from. One source address has 28,232 ephemeral ports here
 * (net.ipv4.ip_local_port_range 32768-60999) toward one server address and port, so a pool of tens of thousands
 * of clients runs out of them from 127.0.0.1 alone. A large pool aimed at loopback is spread over 127.0.0.0/8
 * instead: every address in it is the machine's own, with no set-up, and each gets its own ports.
 */

/**
 * Clients per source address in a spread pool: well under one address's ports, since a Socket.IO client holds
 * two connections while it upgrades and a closed connection keeps its port in TIME_WAIT for a minute.
 */
export const CLIENTS_PER_SOURCE_ADDRESS = 10_000;

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * The source address of client `index` of a pool of `clients` aimed at `host`: undefined (the system's choice)
 * for a pool that fits one address or a server off loopback, else 127.0.<block>.1 for each block of
 * CLIENTS_PER_SOURCE_ADDRESS clients (127.0.1.1 for the first).
 */
export function sourceAddressFor(index: number, clients: number, host: string): string | undefined {
  if (clients <= CLIENTS_PER_SOURCE_ADDRESS || !LOOPBACK.test(host)) return undefined;
  return `127.0.${Math.floor(index / CLIENTS_PER_SOURCE_ADDRESS) + 1}.1`;
}
