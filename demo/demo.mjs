// npm run demo: what tcp-keepalive changes, read back from the kernel.
// Part 1 shows one loopback connection before and after, next to the system
// defaults and the time each setting takes to notice a dead peer.
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { enableKeepalive, getKeepalive } from 'tcp-keepalive';

/** The demo's options: a dead idle peer is noticed after 5 + 3 × 1 s = 8 s. */
export const demoOptions = { idle: 5000, interval: 1000, count: 3, userTimeout: 8000 };

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

/** 8000 → "8 s", 7875000 → "2 h 11 min 15 s". */
export function formatDuration(ms) {
  if (ms < 1000) return `${ms} ms`;
  let seconds = Math.round(ms / 1000);
  const parts = [];
  for (const [unit, size] of [['h', 3600], ['min', 60]]) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)} ${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds} s`);
  return parts.join(' ');
}

/** "5 + 3 × 1 s = 8 s" for settings in ms, or why nothing is detected. */
export function detection({ enabled, idle, interval, count }) {
  if (!enabled) return 'never: keepalive is off';
  const total = idle + interval * count;
  return `${idle / 1000} + ${count} × ${interval / 1000} s = ${formatDuration(total)}`;
}

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => '  ' + row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

function row(label, settings, keepalive = settings.enabled ? 'on' : 'off') {
  return [
    label,
    keepalive,
    `${settings.idle / 1000} s`,
    `${settings.interval / 1000} s`,
    String(settings.count),
    settings.userTimeout === undefined ? 'n/a' : settings.userTimeout === 0 ? '0 (system)' : `${settings.userTimeout} ms`,
    detection(settings),
  ];
}

function readSystemDefaults() {
  const read = (name) => Number(fs.readFileSync(`/proc/sys/net/ipv4/tcp_keepalive_${name}`, 'utf8'));
  try {
    return { enabled: true, idle: read('time') * 1000, interval: read('intvl') * 1000, count: read('probes') };
  } catch {
    return undefined;
  }
}

export async function beforeAndAfter() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect(server.address().port, '127.0.0.1');
  await once(socket, 'connect');
  try {
    const rows = [['', 'keepalive', 'idle', 'interval', 'count', 'user timeout', 'an idle dead peer is noticed after']];
    const system = readSystemDefaults();
    if (system) rows.push(row('system defaults (/proc)', { ...system, userTimeout: 0 }, 'if on'));
    rows.push(row('new connection', getKeepalive(socket)));
    socket.setKeepAlive(true, 5000);
    rows.push(row('setKeepAlive(true, 5000)', getKeepalive(socket)));
    enableKeepalive(socket, demoOptions);
    rows.push(row('enableKeepalive(options)', getKeepalive(socket)));
    socket.setKeepAlive(true, 1000);
    rows.push(row('then setKeepAlive(true, 1000)', getKeepalive(socket)));

    console.log(bold('One loopback connection, every value read back from the kernel with getsockopt'));
    console.log(`  options = { idle: ${demoOptions.idle}, interval: ${demoOptions.interval}, count: ${demoOptions.count}, userTimeout: ${demoOptions.userTimeout} }\n`);
    console.log(table(rows));
    console.log('\n  Node\'s setKeepAlive sets only the idle time and forces 1 s / 10 probes; enableKeepalive sets');
    console.log('  every option, and keeps them when Node calls setKeepAlive again (http.Agent does, per request).');
  } finally {
    socket.destroy();
    server.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(bold('tcp-keepalive demo') + '\n');
  await beforeAndAfter();
}
