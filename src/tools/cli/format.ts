// Output helpers shared by the commands: aligned columns and detection times.
import { detectionTime, type DetectionInput } from '../../core/defaults';
import { formatDuration } from '../../core/duration';

/** Rows with their columns padded to line up; trailing spaces trimmed. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

/** 75000 → "75s": the kernel keeps idle and interval in whole seconds, as sysctl shows them. */
export function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/** Idle, interval and count known (read back, or system defaults filled in). */
export interface ResolvedSettings extends DetectionInput {
  idle: number;
  interval: number;
  count: number;
}

/**
 * How long an idle dead peer goes unnoticed, with the sum that gives it:
 * "7200s + 9 × 75s = 2h11m15s". With a user timeout the kernel stops at the
 * first probe time past it, whatever count says, so the sum shows those probes.
 */
export function explainDetection(settings: ResolvedSettings): string {
  if (settings.enabled === false) return 'never (keepalive is off)';
  const { idle, interval, count, userTimeout } = settings;
  const total = detectionTime(settings);
  if (!userTimeout) return `${seconds(idle)} + ${count} × ${seconds(interval)} = ${formatDuration(total)}`;
  const probes = Math.round((total - idle) / interval);
  return `${seconds(idle)} + ${probes} × ${seconds(interval)} = ${formatDuration(total)} (user timeout ${formatDuration(userTimeout)}: count does not apply)`;
}

/** 1536 → "1536 B": exact, as the kernel counts. */
export function bytes(count: number): string {
  return `${count} B`;
}
