// Real TCP connections on loopback, closed after each test.
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';

export interface Pair {
  client: net.Socket;
  /** The server's accepted end of the same connection. */
  accepted: net.Socket;
  server: net.Server;
}

const open = new Set<Pair>();

export async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** A connected client/accepted pair on loopback (IPv4 or IPv6). */
export async function connectedPair(host = '127.0.0.1'): Promise<Pair> {
  const server = net.createServer();
  const port = await listen(server, host);
  const acceptedPromise = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, host);
  await once(client, 'connect');
  const [accepted] = await acceptedPromise;
  const pair = { client, accepted, server };
  open.add(pair);
  return pair;
}

export async function closePair(pair: Pair): Promise<void> {
  open.delete(pair);
  pair.client.destroy();
  pair.accepted.destroy();
  await new Promise<void>((resolve) => pair.server.close(() => resolve()));
}

/** Closes every pair the test opened; call from afterEach. */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map(closePair));
}

/** The fd of a connected socket, as Node holds it. */
export function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

/** Node's record of setKeepAlive on `socket`: its two own symbols, read by description, as Node keeps them. */
export function nodeRecordOf(socket: net.Socket): Record<string, unknown> {
  return Object.fromEntries(
    Object.getOwnPropertySymbols(socket)
      .filter((symbol) => symbol.description === 'kSetKeepAlive' || symbol.description === 'kSetKeepAliveInitialDelay')
      .map((symbol) => [symbol.description, (socket as unknown as Record<symbol, unknown>)[symbol]]),
  );
}

/** The system-wide defaults, read from procfs (the ground truth a fresh socket reports). */
export function systemDefaults(): { idle: number; interval: number; count: number } {
  const read = (name: string): number =>
    Number(fs.readFileSync(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, 'utf8').trim());
  return { idle: read('time') * 1000, interval: read('intvl') * 1000, count: read('probes') };
}
