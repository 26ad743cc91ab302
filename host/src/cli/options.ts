// Option parsers the CLI's role and cluster commands share (commander argParsers: a bad value
// becomes an InvalidArgumentError naming the option).
import { InvalidArgumentError, Option } from 'commander';
import { parseRuleWords } from '../codec/rules.js';

/** A whole number in min..max (decimal digits only); the message names the option and the range. */
export const intOption =
  (name: string, min: number, max = Number.POSITIVE_INFINITY) =>
  (v: string): number => {
    const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(max === Number.POSITIVE_INFINITY ? `${name} must be a whole number ≥ ${min}` : `${name} must be an integer ${min}..${max}`);
    return n;
  };

/** A whole number ≥ 1. */
export const positiveInt = (name: string) => intOption(name, 1);

/** A repeatable option: each value parsed, collected in order. */
export const collect =
  <T>(parse: (v: string) => T) =>
  (v: string, prev: T[] | undefined): T[] => [...(prev ?? []), parse(v)];

/** An argParser from a parser that throws its own errors: their message becomes the option's error. */
export const parsedBy =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };

/** A number of seconds in min..max (decimals allowed: 0.5); the message names the option and the range. */
export const secondsOption =
  (name: string, min: number, max: number) =>
  (v: string): number => {
    const n = /^[0-9]+(\.[0-9]+)?$/.test(v.trim()) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`${name} must be a number of seconds ${min}..${max}, not ${JSON.stringify(v)}`);
    return n;
  };

/** `--learning "WORDS"`: the words of a rules file's learning line (host/src/codec/rules.ts), for hardware pinning. */
export const learningOption = () =>
  new Option('--learning <words>', 'hardware pinning\'s timers and quotas, as the words of a rules learning line (default "syn-timeout 5 idle-timeout 300 fin-timeout 2 max-embryonic 1024")').argParser(
    parsedBy((v: string) => {
      parseRuleWords(v.trim().split(/\s+/), 'learning');
      return v.trim();
    }),
  );

/** `--pinning hardware|host`: who pins TCP connections (the primary's, `cluster up` and `cluster demo`). */
export const pinningOption = () =>
  new Option(
    '--pinning <who>',
    'who pins TCP connections: hardware (the adapter learns each from its SYN, the one it receives or the one a processor sends; an adapter without the learning engine falls back to host) or host (monitor → primary → adapter, one exact rule per connection)',
  )
    .choices(['hardware', 'host'])
    .default('hardware');
