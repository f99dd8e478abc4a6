// npm run demo: what tcp-keepalive changes, read back from the kernel.
// Part 1 shows one loopback connection before and after, next to the system
// defaults and the time each setting takes to notice a dead peer.
// Part 2, where it may (Linux, root, ip, nft, ss), makes the peer of a real
// connection vanish in a network lab and shows the kernel's probes go out
// until it gives up.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { enableKeepalive, getKeepalive } from 'tcp-keepalive';
import { createLab, labSupport } from 'tcp-keepalive/lab';
// The CLI's format (8000 → "8s", 7875000 → "2h11m15s"): one way to write a duration everywhere.
import { formatDuration } from '../dist/core/duration.js';

/** The demo's options: a dead idle peer is noticed after 5 + 3 × 1 s = 8 s. */
export const demoOptions = { idle: 5000, interval: 1000, count: 3, userTimeout: 8000 };

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

/** "5s + 3 × 1s = 8s" for settings in ms, or why nothing is detected. */
export function detection({ enabled, idle, interval, count }) {
  if (!enabled) return 'never: keepalive is off';
  const total = idle + interval * count;
  return `${idle / 1000}s + ${count} × ${interval / 1000}s = ${formatDuration(total)}`;
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

const peerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peer.mjs');

/** Parses JSON lines from a child's stdout into `events`, calling `changed` on each. */
function collect(child, events, changed) {
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf('\n')) !== -1) {
      events.push(JSON.parse(buffered.slice(0, end)));
      buffered = buffered.slice(end + 1);
    }
    changed();
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.on('exit', (code, signal) => {
    events.push({ event: 'exit', why: signal ?? `exit ${code}`, stderr });
    changed();
  });
}

/** A peer process in a lab host, with a way to wait for its events. */
function startPeer(host, args) {
  const events = [];
  let wake = () => {};
  collect(host.spawn(process.execPath, [peerScript, ...args]), events, () => wake());
  return {
    events,
    async next(name, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((event) => event.event === name || event.event === 'exit');
        if (found?.event === name) return found;
        if (found || Date.now() >= deadline) {
          throw new Error(`the ${args[0]} process did not report '${name}': ${found ? `${found.why} ${found.stderr}` : 'timed out'}`);
        }
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, deadline - Date.now());
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

/**
 * A duration as ss prints it: "10sec", "072ms" (72 ms), "4.752ms" or, in newer
 * versions, "4.752sec" (4.752 s), "1min30sec"; empty for 0.
 */
function ssDuration(text) {
  const minutes = /^(\d+)min/.exec(text);
  const rest = text.replace(/^\d+min/, '');
  let ms = minutes ? Number(minutes[1]) * 60_000 : 0;
  let match;
  if ((match = /^(\d+)\.(\d{3})(?:ms|sec)$/.exec(rest))) ms += Number(match[1]) * 1000 + Number(match[2]);
  else if ((match = /^(\d+)sec$/.exec(rest))) ms += Number(match[1]) * 1000;
  else if ((match = /^(\d+)ms$/.exec(rest))) ms += Number(match[1]);
  return ms;
}

/** The keepalive timer in `ss -o` output: `timer:(keepalive,<due>,<unanswered probes>)`. */
function keepaliveTimer(ssOutput) {
  const match = /timer:\(keepalive,([^,]*),(\d+)\)/.exec(ssOutput);
  return match ? { dueMs: ssDuration(match[1]), probes: Number(match[2]) } : undefined;
}

/** Why part 2 cannot run here, or undefined if it can. */
function liveUnavailable() {
  const support = labSupport();
  if (!support.available) return support.reason;
  try {
    execFileSync('ss', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the `ss` command (Debian package iproute2) is not installed';
  }
  return undefined;
}

const dots = (probes, count) => '●'.repeat(Math.min(probes, count)) + '○'.repeat(Math.max(count - probes, 0));
const secondsText = (ms) => `${(ms / 1000).toFixed(1)} s`;

export async function vanishingPeer() {
  console.log(bold('\nA peer that vanishes: a real connection between two network namespaces'));
  const why = liveUnavailable();
  if (why !== undefined) {
    console.log(`  Skipped, because ${why}.`);
    console.log('  This part creates two network namespaces joined by a veth link, makes the server vanish with');
    console.log('  nftables, and shows the client\'s keepalive probes live until the kernel gives up. It needs');
    console.log('  Linux, root, ip and ss (iproute2) and nft (nftables). The part above ran in full.');
    return;
  }

  const lab = await createLab();
  const stop = () => lab.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  try {
    const server = startPeer(lab.server, ['server', lab.server.address]);
    const { port } = await server.next('listening', 5000);
    const client = startPeer(lab.client, ['client', lab.server.address, String(port), JSON.stringify(demoOptions)]);
    const { settings } = await client.next('connected', 5000);
    const quiet = await client.next('quiet', 5000);
    const since = Date.now();
    await lab.server.vanish();
    const expected = settings.idle + settings.interval * settings.count;

    console.log(`  client ${lab.client.address} → server ${lab.server.address}:${port}, each in a namespace of its own`);
    console.log(`  client socket, read back: idle ${settings.idle / 1000} s, interval ${settings.interval / 1000} s, count ${settings.count}, userTimeout ${settings.userTimeout} ms`);
    console.log(`  The server answered a ping, then vanished: nftables now drops every packet to and from it.`);
    console.log(`  Expected: the client gives up ${detection(settings)} after that last answer.\n`);

    // The client's kernel counts the unanswered probes; ss shows them in the keepalive timer.
    const tty = process.stdout.isTTY;
    const line = (elapsedMs, probes, text) =>
      `  ${secondsText(elapsedMs).padStart(6)}  ${dots(probes, settings.count)}  ${text}`;
    let shownProbes = -1;
    let closed = false;
    const ticker = setInterval(async () => {
      const out = await lab.client.exec('ss', ['-tnoH', 'state', 'established', 'dst', lab.server.address]).catch(() => '');
      const timer = keepaliveTimer(out);
      if (timer === undefined || closed) return;
      const { probes, dueMs } = timer;
      const next = probes === 0
        ? `idle, first probe in ${secondsText(dueMs)}`
        : `${probes} of ${settings.count} probes unanswered, ${probes < settings.count ? 'next' : 'giving up'} in ${secondsText(dueMs)}`;
      // A terminal gets one line rewritten in place; a pipe or a file, one line per probe.
      if (tty) process.stdout.write(`\r\x1b[K${line(Date.now() - since, probes, next)}`);
      else if (probes !== shownProbes) console.log(line(Date.now() - since, probes, next));
      shownProbes = probes;
    }, 100);

    try {
      const failure = await client.next('error', expected + 5000);
      closed = true;
      clearInterval(ticker);
      const measured = failure.t - quiet.t;
      const done = line(measured, settings.count, `'error' ${failure.code} (${failure.message})`);
      console.log(tty ? `\r\x1b[K${done}` : done);
      console.log(`\n  Dead peer detected after ${(measured / 1000).toFixed(2)}s; expected ${formatDuration(expected)} (${detection(settings)}).`);
      const system = readSystemDefaults();
      if (system) console.log(`  With this system's defaults the wait would be ${formatDuration(system.idle + system.interval * system.count)}; with keepalive off, endless.`);
    } finally {
      closed = true;
      clearInterval(ticker);
    }
  } finally {
    process.removeListener('SIGINT', stop);
    await lab.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(bold('tcp-keepalive demo') + '\n');
  try {
    await beforeAndAfter();
    await vanishingPeer();
  } catch (error) {
    // A person reads this: what is missing and how to get it, not a stack trace.
    if (error.code === 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM') {
      console.error('The demo reads every value back from the kernel, which needs the native addon, and it is not built.');
      console.error('A clone builds it in `npm install` with a C++ compiler, make and python3 (Debian: apt-get install g++ make python3); install them and run `npm install` again.');
    } else {
      console.error(`The demo stopped: ${error.message}`);
    }
    process.exitCode = 1;
  }
}
