// One end of the demo's connection, run by the demo inside a lab namespace
// (`ip netns exec`). Reports JSON lines on stdout; exits when stdin ends.
//   node peer.mjs server <address>                  listens; answers "ping" with "pong"
//   node peer.mjs client <address> <port> <options> connects, enableKeepalive(options),
//                                                   pings once, then stays idle
// Times (t) are ms on this process's clock.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { enableKeepalive, getKeepalive } from 'tcp-keepalive';

const [role, address, port, options] = process.argv.slice(2);
const report = (event, fields = {}) =>
  process.stdout.write(JSON.stringify({ event, t: performance.now(), ...fields }) + '\n');

process.stdin.resume().on('end', () => process.exit(0));

if (role === 'server') {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.write('pong'));
    socket.on('error', () => {});
  });
  server.listen(0, address, () => report('listening', { port: server.address().port }));
} else {
  const socket = net.connect(Number(port), address, () => {
    enableKeepalive(socket, JSON.parse(options));
    report('connected', { settings: getKeepalive(socket) });
    socket.write('ping');
  });
  // Reading keeps Node listening to the socket, so it hears when the kernel drops it.
  socket.on('data', () => report('quiet'));
  socket.on('error', (error) => report('error', { code: error.code, message: error.message }));
}
