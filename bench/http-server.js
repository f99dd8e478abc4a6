// The http server for bench/agent.js, in its own process: answers every request
// with a short body and sends its port to the parent. Exits with the parent.
'use strict';
const http = require('node:http');

const server = http.createServer({ keepAliveTimeout: 60000 }, (request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
