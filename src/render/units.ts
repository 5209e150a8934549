// Sizes and durations exactly as github.com/docker/go-units prints them.

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's `fmt.Sprintf("%.*g", precision, v)` for finite v >= 0, including its switch to `1e+03`. */
export function formatG(v: number, precision: number): string {
  if (v === 0) return '0';
  const neg = v < 0;
  const [mant, expStr] = Math.abs(v).toExponential(Math.max(0, precision - 1)).split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const nd = digits.length;
  const dp = Number(expStr) + 1; // position of the decimal point, as in Go's decimal type
  let prec = precision;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  const exp = dp - 1;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    const frac = digits.slice(1, prec).padEnd(prec - 1, '0');
    const e = Math.abs(exp);
    out = digits[0] + (frac ? '.' + frac : '') + 'e' + (exp < 0 ? '-' : '+') + (e < 10 ? '0' + e : String(e));
  } else {
    if (prec > dp) prec = nd;
    const decimals = Math.max(prec - dp, 0);
    let intPart: string;
    if (dp <= 0) intPart = '0';
    else intPart = digits.slice(0, dp).padEnd(dp, '0');
    let frac = '';
    for (let k = 0; k < decimals; k++) {
      const idx = dp + k;
      frac += idx >= 0 && idx < nd ? digits[idx] : '0';
    }
    out = intPart + (decimals > 0 ? '.' + frac : '');
  }
  return neg ? '-' + out : out;
}

/** go-units `HumanSizeWithPrecision`: decimal units, no space, e.g. `7.1kB`. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return formatG(size, precision) + DECIMAL_UNITS[i];
}

/** go-units `HumanSize`: four significant digits, e.g. `16.29kB`. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

export { humanDuration } from '../model/duration.js';

/** Parses a size argument: plain bytes or go-units decimal (`500MB`, `1.5GB`, `2g`), at most `max` (2^53 - 1: byte counts stay exact). */
export function parseHumanSize(s: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s);
  if (!m) return undefined;
  const mul: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
  const v = Number.parseFloat(m[1]) * (m[2] ? mul[m[2].toLowerCase()] : 1);
  // beyond 2^53 a byte count is no longer exact (and JSON would print 1e+20): refused like 1EB
  return Number.isFinite(v) && v <= max ? Math.trunc(v) : undefined;
}

/** Parses a transfer rate into bytes per second: `100Mbit`, `100Mbit/s`, `12.5MB/s`, `1Gbit`, or plain bytes per second. */
export function parseRate(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgt])?(bit|b|bps)?(?:\/s)?$/i.exec(s);
  if (!m) return undefined;
  const mul: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
  const unit = m[3] ?? 'B';
  const bits = unit.toLowerCase() === 'bit' || unit === 'bps' || unit === 'b';
  const v = (Number.parseFloat(m[1]) * (m[2] ? mul[m[2].toLowerCase()] : 1)) / (bits ? 8 : 1);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Parses a duration into seconds: `50ms`, `0.2s`, `1m`, or plain milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?(ms|s|m)?$/.exec(s);
  if (!m) return undefined;
  const v = Number.parseFloat(m[1]) * ({ ms: 1e-3, s: 1, m: 60 } as Record<string, number>)[m[2] ?? 'ms'];
  return Number.isFinite(v) ? v : undefined;
}

/** Seconds as a short figure: `850ms`, `4.2s`, `3m05s`; from an hour on as Go's Duration prints it, `123276h32m16s`. */
export function shortSeconds(t: number): string {
  if (t < 1) return `${Math.round(t * 1000)}ms`;
  if (t < 60) return `${t.toFixed(1)}s`;
  const whole = Math.round(t);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${String(s).padStart(2, '0')}s`;
}

const HUMANIZE_SI = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** Go's %.Nf of a float: fixed notation, halves to even (strconv rounds the exact binary value), NaN and ±Inf spelled as Go does. */
export function goFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const s = x.toFixed(digits);
  // toFixed rounds an exact half away from zero; Go's strconv to even.
  const scaled = Math.abs(x) * 10 ** digits;
  if (digits === 0 && scaled % 1 === 0.5 && Math.floor(scaled) % 2 === 0) return (x < 0 ? '-' : '') + String(Math.floor(scaled));
  return s;
}

/** go-humanize `Bytes` (dive's sizes): base 1000, `9 B`, `8.0 kB`, `15 kB`. */
export function goHumanizeBytes(s: number): string {
  if (s < 10) return `${s} B`;
  const e = Math.floor(Math.log(s) / Math.log(1000));
  const val = Math.floor((s / 1000 ** e) * 10 + 0.5) / 10;
  return `${goFixed(val, val < 10 ? 1 : 0)} ${HUMANIZE_SI[e]}`;
}
