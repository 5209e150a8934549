// Each command declares its options and positionals once; parsing, validation and the Options
// section of --help all come from that one declaration, so help cannot disagree with what is
// accepted. node:util parseArgs does the final parse; the scan before it gives pflag's rule
// (an option that takes a value takes the next argument, even `-1`) and layerlab's own messages.
import { parseArgs } from 'node:util';
import { quote } from '../errors.js';
import { usageError, type Command, type CommandIo } from './io.js';

interface OptionBase {
  /** One-letter alias, without the dash. */
  short?: string;
  /** One line (wrapped in --help); allowed values and the default are appended from the spec. */
  description: string;
  /** Heading the option is listed under in --help (default `Options`). */
  group?: string;
}
/** A flag: `--verbose`, `-v`. Its value is false unless given. */
export interface FlagOption extends OptionBase {
  type: 'boolean';
}
/** An option with a string value: `--format json`, `--format=json`, `-o FILE`. */
export interface StringOption<V extends string = string> extends OptionBase {
  type: 'string';
  /** Name of the value in --help (`FORMAT`, `FILE`). */
  value: string;
  /** Repeatable; the value is then a list (empty unless given). */
  multiple?: boolean;
  /** The only values accepted, in the order --help lists them. */
  oneOf?: readonly V[];
  /** What a value means, shown beside it in --help. */
  valueHelp?: Partial<Record<V, string>>;
  default?: V;
  /** The default when it depends on other options (shown in --help, applied by the command). */
  defaultHelp?: string;
}
/** A whole number within bounds: `--top 10`. */
export interface NumberOption extends OptionBase {
  type: 'number';
  value: string;
  min: number;
  max: number;
  default?: number;
  defaultHelp?: string;
}
export type OptionSpec = FlagOption | StringOption | NumberOption;
export type OptionSpecs = Record<string, OptionSpec>;

/** A positional argument, in order; a variadic one takes the rest. */
export interface PositionalSpec {
  name: string;
  optional?: boolean;
  variadic?: boolean;
}

type ValueOf<O> = O extends FlagOption
  ? boolean
  : O extends NumberOption
    ? number
    : O extends { multiple: true }
      ? string[]
      : O extends { oneOf: readonly (infer V)[] }
        ? V
        : string;
type AlwaysSet<O> = O extends FlagOption ? true : O extends { multiple: true } ? true : O extends { default: string | number } ? true : false;
/** The parsed values of a spec: flags, lists and options with a default are always set. */
export type OptionValues<S extends OptionSpecs> = { [K in keyof S as AlwaysSet<S[K]> extends true ? K : never]: ValueOf<S[K]> } & {
  [K in keyof S as AlwaysSet<S[K]> extends true ? never : K]?: ValueOf<S[K]>;
};

/** A command as declared: what --help says and what parsing accepts come from here. */
export interface CommandSpec<S extends OptionSpecs> {
  name: string;
  summary: string;
  /** What follows `[OPTIONS]` on the Usage line; by default the positionals. */
  synopsis?: string;
  /** Paragraphs after the Usage line. */
  description: string;
  positionals: PositionalSpec[];
  options: S;
  /** Paragraphs after the options (e.g. what a SOURCE can be). */
  footer?: string;
}

export interface ParsedArgs<S extends OptionSpecs> {
  values: OptionValues<S>;
  positionals: string[];
}

/** `-h, --help`, which every command accepts. */
export const HELP_OPTION: FlagOption = { type: 'boolean', short: 'h', description: 'show this help' };

/** Turns argv into `--long[=value]` tokens and positionals, refusing what the spec does not accept. */
function normalize(argv: readonly string[], specs: OptionSpecs, command: string): string[] {
  const byShort = new Map(Object.entries(specs).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const out: string[] = [];
  const unknown = (opt: string) => usageError(`unknown option ${quote(opt)} (see layerlab ${command} --help)`);
  const take = (name: string, inline: string | undefined, i: number): number => {
    const o = specs[name];
    if (o.type === 'boolean') {
      if (inline !== undefined) throw usageError(`--${name} takes no value (got ${quote(inline)})`);
      out.push(`--${name}`);
      return i;
    }
    if (inline !== undefined) {
      out.push(`--${name}=${inline}`);
      return i;
    }
    // pflag's rule: the next argument is the value, whatever it starts with (`--top -1`)
    if (i + 1 >= argv.length) throw usageError(`--${name} needs a value (${o.value})`);
    out.push(`--${name}=${argv[i + 1]}`);
    return i + 1;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (!Object.hasOwn(specs, name)) throw unknown(`--${name}`);
      i = take(name, eq < 0 ? undefined : a.slice(eq + 1), i);
    } else if (a.startsWith('-') && a !== '-') {
      // a group of short flags (-fa), the last of which may take a value (-ofile, -o file)
      for (let k = 1; k < a.length; k++) {
        const name = byShort.get(a[k]);
        if (name === undefined) throw unknown(`-${a[k]}`);
        if (specs[name].type !== 'boolean') {
          const rest = a.slice(k + 1).replace(/^=/, '');
          i = take(name, rest === '' ? undefined : rest, i);
          break;
        }
        out.push(`--${name}`);
      }
    } else out.push(a);
  }
  return out;
}

function wholeNumberOf(name: string, o: NumberOption, raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw usageError(`--${name} takes a whole number from ${o.min} to ${o.max} (got ${quote(raw)})`);
  const n = Number(raw);
  if (n < o.min) throw usageError(`--${name} must be ≥ ${o.min} (got ${quote(raw)})`);
  if (n > o.max) throw usageError(`--${name} takes a whole number from ${o.min} to ${o.max} (got ${quote(raw)})`);
  return n;
}

function checkPositionals(spec: CommandSpec<OptionSpecs>, got: string[]): void {
  const required = spec.positionals.filter((p) => !p.optional);
  if (got.length < required.length) {
    const need = required.map((p) => `${p.variadic ? 'at least one' : /^[AEIOU]/.test(p.name) ? 'an' : 'a'} ${p.name}`).join(' and ');
    throw usageError(`${spec.name} needs ${need}; see layerlab ${spec.name} --help`);
  }
  const variadic = spec.positionals.some((p) => p.variadic);
  if (!variadic && got.length > spec.positionals.length) {
    const takes = spec.positionals.length === 0 ? 'no arguments' : spec.positionals.map((p) => p.name).join(' ');
    throw usageError(`${spec.name} takes ${takes}: unexpected argument ${quote(got[spec.positionals.length])}`);
  }
}

/** Parses argv by the spec: unknown options, missing values, values outside `oneOf` or bounds, and missing or extra positionals are usage errors. */
export function parseOptions<S extends OptionSpecs>(spec: CommandSpec<S>, argv: readonly string[]): ParsedArgs<S> & { help: boolean } {
  const specs: OptionSpecs = { ...spec.options, help: HELP_OPTION };
  const args = normalize(argv, specs, spec.name);
  const config = Object.fromEntries(Object.entries(specs).map(([name, o]) => [name, { type: o.type === 'boolean' ? ('boolean' as const) : ('string' as const), multiple: o.type === 'string' && o.multiple === true }]));
  const parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  const raw = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const values: Record<string, unknown> = {};
  if (raw.help === true) return { values: values as OptionValues<S>, positionals: parsed.positionals, help: true };
  for (const [name, o] of Object.entries(spec.options)) {
    const v = raw[name];
    if (o.type === 'boolean') values[name] = v === true;
    else if (o.type === 'number') values[name] = v === undefined ? o.default : wholeNumberOf(name, o, v as string);
    else {
      // a repeatable option checks each value it is given
      const given = o.multiple ? ((v as string[] | undefined) ?? []) : v === undefined ? [] : [v as string];
      const bad = o.oneOf && given.find((x) => !o.oneOf!.includes(x));
      if (bad !== undefined) throw usageError(`--${name} must be one of ${o.oneOf!.join(', ')} (got ${quote(bad)})`);
      values[name] = o.multiple ? given : (v ?? o.default);
    }
  }
  checkPositionals(spec as CommandSpec<OptionSpecs>, parsed.positionals);
  return { values: values as OptionValues<S>, positionals: parsed.positionals, help: false };
}

const WIDTH = 100;

function wrap(text: string, indent: number, first: number): string[] {
  const lines: string[] = [];
  let line = '';
  let room = WIDTH - first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = WIDTH - indent;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

function describeOption(o: OptionSpec): string {
  let text = o.description;
  if (o.type === 'string' && o.oneOf) {
    const values = o.oneOf.map((v) => `${v}${v === o.default ? ' (default)' : ''}${o.valueHelp?.[v] ? `: ${o.valueHelp[v]}` : ''}`);
    text += (text ? ': ' : '') + values.join('; ');
    if (o.default === undefined && o.defaultHelp) text += ` (default ${o.defaultHelp})`;
  } else if (o.type !== 'boolean' && (o.default !== undefined || o.defaultHelp)) text += ` (default ${o.defaultHelp ?? o.default})`;
  if (o.type === 'number') text += `; ${o.min} to ${o.max}`;
  if (o.type === 'string' && o.multiple) text += ' (repeatable)';
  return text;
}

/** The Options section(s) of --help, generated from the spec. */
export function optionsHelp(options: OptionSpecs): string {
  const all: [string, OptionSpec][] = [...Object.entries(options), ['help', HELP_OPTION]];
  const left = (name: string, o: OptionSpec) => `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'boolean' ? '' : ` ${o.value}`}`;
  const col = Math.max(...all.map(([n, o]) => left(n, o).length)) + 2;
  const groups = new Map<string, string[]>();
  for (const [name, o] of all) {
    const head = left(name, o).padEnd(col);
    const [first, ...more] = wrap(describeOption(o), col, col);
    const group = o.group ?? 'Options';
    groups.set(group, [...(groups.get(group) ?? []), head + first, ...more.map((l) => ' '.repeat(col) + l)]);
  }
  return [...groups].map(([g, lines]) => `${g}:\n${lines.join('\n')}\n`).join('');
}

/** The whole --help text of a command. */
export function commandHelp(spec: CommandSpec<OptionSpecs>): string {
  const synopsis = spec.synopsis ?? spec.positionals.map((p) => `${p.optional ? '[' : ''}${p.name}${p.variadic ? '...' : ''}${p.optional ? ']' : ''}`).join(' ');
  return `Usage: layerlab ${spec.name} [OPTIONS]${synopsis ? ' ' + synopsis : ''}\n\n${spec.description.trimEnd()}\n\n${optionsHelp(spec.options)}${spec.footer ? '\n' + spec.footer.trimEnd() + '\n' : ''}`;
}

/** A Command from its spec and what it does with parsed arguments; --help is handled here. */
export function defineCommand<const S extends OptionSpecs>(spec: CommandSpec<S>, run: (args: ParsedArgs<S>, io: CommandIo) => Promise<number> | number): Command {
  const usage = commandHelp(spec as CommandSpec<OptionSpecs>);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    options: spec.options,
    run(argv, io) {
      const { help, ...args } = parseOptions(spec, argv);
      if (help) {
        io.stdout(usage);
        return 0;
      }
      return run(args, io);
    },
  };
}
