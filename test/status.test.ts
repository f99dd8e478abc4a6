// getKeepaliveStatus against ss -tnoi for the same connection.
import net from 'node:net';
import { once } from 'node:events';
import { enableKeepalive, getKeepaliveStatus, type KeepaliveStatus } from '../src';
import { closeAll, connectedPair, listen } from './helpers/loopback';
import { ssConnection } from './helpers/ss';

afterEach(closeAll);

/** ss prints the state abbreviated. */
const ssStateNames: Record<string, string> = { ESTABLISHED: 'ESTAB', CLOSE_WAIT: 'CLOSE-WAIT', FIN_WAIT2: 'FIN-WAIT-2' };

/** Reads our status and ss's for the same socket, back to back. */
function bothViews(socket: net.Socket): [KeepaliveStatus, NonNullable<ReturnType<typeof ssConnection>>] {
  const ours = getKeepaliveStatus(socket);
  const theirs = ssConnection(socket.localPort as number, socket.remotePort as number);
  if (!theirs) throw new Error(`ss lists no connection on port ${socket.localPort}`);
  return [ours, theirs];
}

test('an idle established connection reads the same as ss', async () => {
  const { client } = await connectedPair();
  enableKeepalive(client, { idle: 600000 });
  const [ours, ss] = bothViews(client);
  expect(ours.state).toBe('ESTABLISHED');
  expect(ssStateNames[ours.state]).toBe(ss.state);
  expect(ours.unansweredProbes).toBe(0);
  expect(ss.timer).toMatchObject({ name: 'keepalive', count: ours.unansweredProbes });
  expect(ours.retransmits).toBe(0);
  expect(ours.unacknowledgedBytes + ours.unsentBytes).toBe(ss.sendQueue);
  expect(ours.rto).toBe(Number(ss.fields.rto));
  expect(ours.rtt).toBe(Number(ss.fields.rtt.split('/')[0]));
  // ss ran a few ms after us: its "ms since" values are at least ours and not far above.
  for (const [key, field] of [['sinceDataSent', 'lastsnd'], ['sinceDataReceived', 'lastrcv'], ['sinceAckReceived', 'lastack']] as const) {
    expect(Number(ss.fields[field])).toBeGreaterThanOrEqual(ours[key]);
    expect(Number(ss.fields[field]) - ours[key]).toBeLessThan(1000);
  }
});

test('times since the last exchange grow while the connection is idle, and reset on traffic', async () => {
  const { client, accepted } = await connectedPair();
  accepted.write('x');
  await once(client, 'data');
  const fresh = getKeepaliveStatus(client).sinceDataReceived;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const later = getKeepaliveStatus(client).sinceDataReceived;
  expect(later - fresh).toBeGreaterThanOrEqual(250);
  accepted.write('y');
  await once(client, 'data');
  expect(getKeepaliveStatus(client).sinceDataReceived).toBeLessThan(later);
});

test('bytes the peer does not read pile up as unsent, as ss counts them', async () => {
  const server = net.createServer({ pauseOnConnect: true });
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  try {
    client.write(Buffer.alloc(32 * 1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [ours, ss] = bothViews(client);
    expect(ours.unsentBytes).toBeGreaterThan(0);
    expect(ours.unsentBytes).toBe(Number(ss.fields.notsent));
    expect(ours.unacknowledgedBytes + ours.unsentBytes).toBe(ss.sendQueue);
  } finally {
    client.destroy();
    server.close();
  }
});

test('a connection the peer closed is in CLOSE_WAIT', async () => {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.end());
  const port = await listen(server);
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(client, 'end');
  try {
    const [ours, ss] = bothViews(client);
    expect(ours.state).toBe('CLOSE_WAIT');
    expect(ss.state).toBe('CLOSE-WAIT');
  } finally {
    client.destroy();
    server.close();
  }
});

test('the usual errors: not a socket, connecting, closed', async () => {
  expect(() => getKeepaliveStatus({} as net.Socket)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  const { server } = await connectedPair();
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  expect(() => getKeepaliveStatus(socket)).toThrow(expect.objectContaining({ code: 'TCP_KEEPALIVE_SOCKET_CONNECTING' }));
  await once(socket, 'connect');
  socket.destroy();
  expect(() => getKeepaliveStatus(socket)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_CLOSED' }));
});
