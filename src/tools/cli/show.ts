// tcp-keepalive show: the system-wide defaults and the detection time they imply.
import { parseArgs } from 'node:util';
import { detectionTime, getSystemDefaults } from '../../core/defaults';
import { formatDuration } from '../../core/duration';
import { parseOrExplain } from './args';
import { explainDetection, seconds, table } from './format';
import { ExitCode } from './outcome';

type Names = readonly [idle: string, interval: string, count: string];

const bsdNames: Names = ['net.inet.tcp.keepidle', 'net.inet.tcp.keepintvl', 'net.inet.tcp.keepcnt'];

/** Where the addon reads each default on each platform. */
export const defaultsNames: Partial<Record<NodeJS.Platform, Names>> = {
  linux: ['net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'],
  darwin: bsdNames,
  freebsd: bsdNames,
};

const options = { json: { type: 'boolean' } } as const;

/** "7200s" and its longer form "2h" when that reads differently. */
function durationCells(ms: number): [string, string] {
  const long = formatDuration(ms);
  return [seconds(ms), long === seconds(ms) ? '' : `(${long})`];
}

export async function show(args: string[]): Promise<ExitCode> {
  const { values } = parseOrExplain(options, () => parseArgs({ args, options, strict: true, allowPositionals: false }));
  const defaults = getSystemDefaults();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...defaults, detectionTime: detectionTime(defaults) })}\n`);
    return ExitCode.Ok;
  }
  const names = defaultsNames[process.platform] ?? ['', '', ''];
  const where = process.platform === 'linux' ? ' (this network namespace)' : '';
  const rows = [
    ['idle', ...durationCells(defaults.idle), names[0], 'before the first probe'],
    ['interval', ...durationCells(defaults.interval), names[1], 'between unanswered probes'],
    ['count', String(defaults.count), '', names[2], 'unanswered probes before the peer is declared dead'],
  ];
  process.stdout.write(
    `System keepalive defaults${where}:\n${table(rows, '  ')}\n\n` +
      `An idle dead peer is noticed after ${explainDetection(defaults)}.\n` +
      'They apply to sockets that turn keepalive on without values of their own.\n',
  );
  return ExitCode.Ok;
}
