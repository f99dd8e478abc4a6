import { formatDuration, parseDuration } from '../src/core/duration';

test.each([
  ['30', 30000],
  ['30s', 30000],
  ['2m', 120000],
  ['2min', 120000],
  ['1h', 3600000],
  ['1h30m', 5400000],
  ['1m30s', 90000],
  ['1.5s', 1500],
  ['250ms', 250],
  [' 45s ', 45000],
])('parseDuration(%p) = %p ms', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test('a bare number takes the unit asked for', () => {
  expect(parseDuration('1500', 'ms')).toBe(1500);
  expect(parseDuration('60', 's')).toBe(60000);
});

test.each(['', 'abc', '-5', '5x', 's', '1h-3m', '5 s', 'NaN', 'Infinity', '1e3'])('parseDuration(%p) is undefined', (text) => {
  expect(parseDuration(text)).toBeUndefined();
});

test.each([
  [7875000, '2h11m15s'],
  [8000, '8s'],
  [1500, '1.5s'],
  [250, '250ms'],
  [0, '0ms'],
  [3600000, '1h'],
  [120000, '2m'],
  [Infinity, 'never'],
])('formatDuration(%p) = %p', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
  if (ms !== Infinity) expect(parseDuration(text)).toBe(ms);
});
