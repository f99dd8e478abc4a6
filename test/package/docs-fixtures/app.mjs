// app.mjs: app.js as an ES module, for `node --import tcp-keepalive/register app.mjs`.
import net from 'node:net';
import { getKeepalive } from 'tcp-keepalive';

const server = net.createServer((peer) => peer.end()).listen(0, '127.0.0.1', () => {
  const socket = net.connect(server.address().port, '127.0.0.1', () => {
    const settings = getKeepalive(socket);
    console.log(JSON.stringify(settings));
    socket.destroy();
    server.close();
    process.exitCode = settings.enabled ? 0 : 1;
  });
});
