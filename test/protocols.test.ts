// The sockets under TLS, http, https and http2, on both ends of the connection.
import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { once } from 'node:events';
import { enableKeepalive, getKeepalive } from '../src';
import { listen } from './helpers/loopback';
import { localhostCertificate } from './helpers/certificate';

const options = { idle: 6000, interval: 2000, count: 4, userTimeout: 9000 };
const expected = { enabled: true, ...options };

/** Applies the options to `socket` and reads them back. */
function roundTrip(socket: net.Socket) {
  enableKeepalive(socket, options);
  return getKeepalive(socket);
}

test('tls.connect and the server-side TLSSocket', async () => {
  const { key, cert } = localhostCertificate();
  const results: unknown[] = [];
  const server = tls.createServer({ key, cert }, (socket) => {
    results.push(roundTrip(socket));
    socket.end();
  });
  const port = await listen(server);
  const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  await once(client, 'secureConnect');
  results.push(roundTrip(client));
  await once(client, 'end');
  client.destroy();
  server.close();
  expect(results).toEqual([expected, expected]);
});

test('tls.connect while still connecting: applied on connect', async () => {
  const { key, cert } = localhostCertificate();
  const server = tls.createServer({ key, cert }, (socket) => socket.end());
  const port = await listen(server);
  const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' });
  enableKeepalive(client, options);
  await once(client, 'secureConnect');
  expect(getKeepalive(client)).toEqual(expected);
  client.destroy();
  server.close();
});

test('TLS made over an existing, still connecting socket', async () => {
  const { key, cert } = localhostCertificate();
  const server = tls.createServer({ key, cert }, (socket) => socket.end());
  const port = await listen(server);
  const raw = net.connect(port, '127.0.0.1');
  const client = tls.connect({ socket: raw, ca: cert, servername: 'localhost' });
  enableKeepalive(client, options);
  await once(client, 'secureConnect');
  expect(getKeepalive(client)).toEqual(expected);
  expect(getKeepalive(raw)).toEqual(expected);
  client.destroy();
  server.close();
});

describe.each([
  ['http', false],
  ['https', true],
] as const)('%s: the request socket on the client and the server', (_name, secure) => {
  test('configured while connecting on the client, in the handler on the server', async () => {
    const { key, cert } = localhostCertificate();
    const results: unknown[] = [];
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      results.push(roundTrip(request.socket));
      response.end('ok');
    };
    const server = secure ? https.createServer({ key, cert }, handler) : http.createServer(handler);
    const port = await listen(server);
    const target = { port, host: '127.0.0.1', agent: false, ca: cert, servername: 'localhost' };
    const request = secure ? https.get(target) : http.get(target);
    request.on('socket', (socket) => enableKeepalive(socket, options));
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    results.push(getKeepalive(response.socket));
    response.resume();
    await once(response, 'end');
    server.close();
    expect(results).toEqual([expected, expected]);
  });
});

describe.each([
  ['http2 over TLS', true],
  ['http2 without TLS (h2c)', false],
] as const)('%s: the socket of a client session and of a server session', (_name, secure) => {
  test('configured on both ends', async () => {
    const { key, cert } = localhostCertificate();
    const results: unknown[] = [];
    const handler = (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => {
      results.push(roundTrip(request.socket));
      response.end('ok');
    };
    const server = secure ? http2.createSecureServer({ key, cert }, handler) : http2.createServer(handler);
    const port = await listen(server);
    const session = secure
      ? http2.connect(`https://localhost:${port}`, { ca: cert })
      : http2.connect(`http://127.0.0.1:${port}`);
    await once(session, 'connect');
    results.push(roundTrip(session.socket));
    const stream = session.request({ ':path': '/' });
    stream.resume();
    await once(stream, 'end');
    session.close();
    server.close();
    expect(results).toEqual([expected, expected]);
  });
});
