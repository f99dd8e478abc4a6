// Human-readable durations for the command line and the environment:
// "30s", "2m", "1h30m", "500ms"; a bare number takes a default unit.

const units: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60000, min: 60000, h: 3600000 };

const compound = /^(?:\d+(?:\.\d+)?(?:ms|min|s|m|h))+$/;
const part = /(\d+(?:\.\d+)?)(ms|min|s|m|h)/g;

/**
 * Milliseconds for "30s", "2m", "1h30m", "1.5s", "250ms", or a bare number in
 * `bareUnit` ("s" for libkeepalive's KEEPIDLE=60). Undefined if `text` is none of these.
 */
export function parseDuration(text: string, bareUnit: 'ms' | 's' = 's'): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * units[bareUnit];
  if (!compound.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(part)) total += Number(amount) * units[unit];
  return total;
}

/** 7875000 → "2h11m15s", 8000 → "8s", 1500 → "1.5s", 250 → "250ms", Infinity → "never". */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return 'never';
  if (ms < 1000) return `${ms}ms`;
  let rest = ms;
  let text = '';
  for (const [unit, size] of [['h', 3600000], ['m', 60000]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0 || text === '') text += `${Number((rest / 1000).toFixed(3))}s`;
  return text;
}
