import type { WasteAnalysis } from './waste.js';

/**
 * dive's CI rules (wagoodman/dive runtime/ci/rule.go, evaluator.go) as a pure function. Values are
 * strings as dive's config holds them; "disabled" turns a rule off. dive's comparisons: efficiency
 * fails only when the threshold is greater (equal passes), wasted bytes and the user wasted
 * percent fail only when strictly greater than the threshold (equal passes; a NaN percent passes).
 */
export interface DiveCiConfig {
  lowestEfficiency?: string;
  highestWastedBytes?: string;
  highestUserWastedPercent?: string;
}

/** dive's defaults. */
export const DIVE_CI_DEFAULTS: Required<DiveCiConfig> = { lowestEfficiency: '0.9', highestWastedBytes: 'disabled', highestUserWastedPercent: '0.1' };

export type DiveRuleStatus = 'pass' | 'fail' | 'skip' | 'misconfigured' | 'configured';

export interface DiveRuleResult {
  /** dive's rule key without `rules.`. */
  rule: keyof DiveCiConfig;
  status: DiveRuleStatus;
  /** dive's message ('' when it passes). */
  message: string;
}

export interface DiveCiResult {
  pass: boolean;
  /** A rule value was invalid: dive evaluates nothing and fails. */
  misconfigured: boolean;
  /** In dive's rule order. */
  results: DiveRuleResult[];
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?(inf|infinity)|nan)$/i;

/** Go's strconv.ParseFloat(s, 64) for decimal and inf/nan spellings (hex floats and `_` are refused); undefined when Go errs. */
export function parseGoFloat(s: string): number | undefined {
  if (SPECIAL.test(s)) return /nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  if (!DECIMAL.test(s)) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined; // Go reports out-of-range as an error
}

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, ki: 2 ** 10, kib: 2 ** 10,
  m: 1e6, mb: 1e6, mi: 2 ** 20, mib: 2 ** 20,
  g: 1e9, gb: 1e9, gi: 2 ** 30, gib: 2 ** 30,
  t: 1e12, tb: 1e12, ti: 2 ** 40, tib: 2 ** 40,
  p: 1e15, pb: 1e15, pi: 2 ** 50, pib: 2 ** 50,
  e: 1e18, eb: 1e18, ei: 2 ** 60, eib: 2 ** 60,
};

/**
 * go-humanize's ParseBytes, which dive uses: SI by default (`20MB` = `20M` = 20,000,000), IEC
 * with `i` (`20MiB`), commas ignored, case and inner spaces free; undefined where it errs.
 */
export function parseSiBytes(s: string): number | undefined {
  let end = 0;
  while (end < s.length && /[\p{Nd}.,]/u.test(s[end])) end++;
  const f = parseGoFloat(s.slice(0, end).replaceAll(',', ''));
  if (f === undefined || Number.isNaN(f)) return undefined;
  const unit = BYTE_UNITS[s.slice(end).trim().toLowerCase()];
  if (unit === undefined) return undefined;
  const v = f * unit;
  return v >= 2 ** 64 ? undefined : Math.trunc(v);
}

/** Go's %v of a float64. */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const exp = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(x);
}

interface Rule {
  key: keyof DiveCiConfig;
  validate(v: string): string | undefined;
  evaluate(a: WasteAnalysis, v: string): string | undefined;
}

function fraction(key: string): (v: string) => string | undefined {
  return (v) => {
    const x = parseGoFloat(v);
    if (x === undefined) return `invalid config value ('${v}'): strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`;
    if (x < 0 || x > 1) return `${key} config value is outside allowed range (0-1), given '${v}'`;
    return undefined;
  };
}

const RULES: Rule[] = [
  {
    key: 'lowestEfficiency',
    validate: fraction('lowestEfficiency'),
    evaluate: (a, v) => {
      const t = parseGoFloat(v)!;
      return t > a.efficiency ? `image efficiency is too low (efficiency=${goFloat(a.efficiency)} < threshold=${goFloat(t)})` : undefined;
    },
  },
  {
    key: 'highestWastedBytes',
    validate: (v) => (parseSiBytes(v) === undefined ? `invalid config value ('${v}'): not a byte size` : undefined),
    evaluate: (a, v) => {
      const t = parseSiBytes(v)!;
      return a.wastedBytes > t ? `too many bytes wasted (wasted-bytes=${a.wastedBytes} > threshold=${t})` : undefined;
    },
  },
  {
    key: 'highestUserWastedPercent',
    validate: fraction('highestUserWastedPercent'),
    evaluate: (a, v) => {
      const t = parseGoFloat(v)!;
      return t < a.wastedUserPercent
        ? `too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=${goFloat(a.wastedUserPercent)} > threshold=${goFloat(t)})`
        : undefined;
    },
  },
];

/** Evaluates dive's three rules over an analysis; unset values take dive's defaults. */
export function evaluateDiveCi(a: WasteAnalysis, config: DiveCiConfig = {}): DiveCiResult {
  const value = (k: keyof DiveCiConfig) => config[k] ?? DIVE_CI_DEFAULTS[k];
  const results: DiveRuleResult[] = RULES.map((r) => {
    const v = value(r.key);
    if (v === 'disabled') return { rule: r.key, status: 'skip', message: 'rule disabled' };
    const bad = r.validate(v);
    return bad ? { rule: r.key, status: 'misconfigured', message: bad } : { rule: r.key, status: 'configured', message: '' };
  });
  if (results.some((r) => r.status === 'misconfigured')) return { pass: false, misconfigured: true, results };
  for (const [i, r] of RULES.entries()) {
    if (results[i].status === 'skip') continue;
    const failed = r.evaluate(a, value(r.key));
    results[i] = failed ? { rule: r.key, status: 'fail', message: failed } : { rule: r.key, status: 'pass', message: '' };
  }
  return { pass: results.every((r) => r.status !== 'fail'), misconfigured: false, results };
}
