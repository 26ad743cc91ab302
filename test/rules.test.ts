import { describe, expect, it } from 'vitest';
import {
  formatRule,
  parseRuleLine,
  parseRules,
  parseRuleWords,
  ruleKey,
  RuleSyntaxError,
  type ListenRule,
  type Rule,
} from '../host/src/codec/rules.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The error a call throws, asserted to be a RuleSyntaxError. */
function syntaxError(fn: () => unknown): RuleSyntaxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuleSyntaxError);
    expect((err as RuleSyntaxError).code).toBe('ERULE');
    return err as RuleSyntaxError;
  }
  throw new Error('expected a RuleSyntaxError, nothing was thrown');
}

const DESIGN_EXAMPLE = `
flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
flow-type udp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3
listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
default action 0
`;

describe('parseRules', () => {
  it('reads the example of the design', () => {
    const rules = parseRules(DESIGN_EXAMPLE);
    expect(rules).toHaveLength(4);
    const [flow4, flow6, listen, def] = rules;
    expect(flow4).toMatchObject({ kind: 'flow', family: 4, proto: 'tcp', srcPort: 40001, dstPort: 80, action: 2 });
    if (flow4.kind !== 'flow') throw new Error('not a flow');
    expect(hex(flow4.srcIp)).toBe('000000000000000000000000c0000207');
    expect(hex(flow4.dstIp)).toBe('0000000000000000000000000a000001');
    expect(flow6).toMatchObject({ kind: 'flow', family: 6, proto: 'udp', srcPort: 5000, dstPort: 53, action: 3 });
    if (flow6.kind !== 'flow') throw new Error('not a flow');
    expect(hex(flow6.srcIp)).toBe('20010db8000000000000000000000007');
    expect(listen).toMatchObject({ kind: 'listen', family: 4, proto: 'tcp', dstPort: 80, action: 1 });
    expect(listen).not.toHaveProperty('srcIp');
    expect(def).toEqual({ kind: 'default', action: 0 });
  });

  it('skips blank lines and comments, accepts words in any order and extra spaces', () => {
    const rules = parseRules(
      '# cluster rules\n\n   \t\nlisten udp6   action 4 dst-port 53 dst-ip 2001:db8::1  # dns\r\n' +
        'flow-type tcp4 action -1 dst-port 22 src-port 1 dst-ip 10.0.0.1 src-ip 192.0.2.1\n',
    );
    expect(rules.map((r) => r.kind)).toEqual(['listen', 'flow']);
    expect(rules[0]).toMatchObject({ family: 6, proto: 'udp', dstPort: 53, action: 4 });
    expect(rules[1]).toMatchObject({ family: 4, proto: 'tcp', srcPort: 1, dstPort: 22, action: -1 });
  });

  it('parseRuleLine gives null for blank and comment lines', () => {
    expect(parseRuleLine('')).toBeNull();
    expect(parseRuleLine('   # flow-type tcp4')).toBeNull();
  });

  it('names the line and the bad word', () => {
    const err = syntaxError(() =>
      parseRules('default action 0\n# two\nflow-type tcp4 sport 1 src-ip 1.2.3.4 dst-ip 10.0.0.1 dst-port 80 action 1\n'),
    );
    expect(err.line).toBe(3);
    expect(err.word).toBe('sport');
    expect(err.message).toBe('line 3: unknown word "sport" (expected one of: src-ip, dst-ip, src-port, dst-port, action, idle-timeout)');
  });

  it('rejects a rule that repeats the key of an earlier line', () => {
    const text = 'listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1\nlisten tcp4 dst-ip 10.0.0.01 dst-port 80 action 2\n';
    expect(syntaxError(() => parseRules(text)).message).toMatch(/^line 2: .*"10\.0\.0\.01"/); // leading zero refused
    const dup = 'flow-type tcp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 1 dst-port 2 action 1\n' +
      'flow-type tcp6 src-ip 2001:DB8:0::7 dst-ip 2001:db8:0:0:0:0:0:1 src-port 1 dst-port 2 action 3\n';
    const err = syntaxError(() => parseRules(dup));
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/same flow rule as line 1/);
    expect(syntaxError(() => parseRules('default action 1\ndefault action 2')).message).toMatch(/^line 2: a second default/);
  });
});

describe('rule syntax errors', () => {
  const FLOW = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2';
  it.each([
    [FLOW.replace('40001', '70000'), /bad port "70000" for src-port \(expected 0\.\.65535\)/, '70000'],
    [FLOW.replace('dst-port 80', 'dst-port 0x50'), /bad port "0x50"/, '0x50'],
    [FLOW.replace('dst-port 80', 'dst-port -1'), /bad port "-1"/, '-1'],
    [FLOW.replace('action 2', 'action -2'), /bad action "-2" \(expected -1 to drop, or a queue number/, '-2'],
    [FLOW.replace('action 2', 'action 1.5'), /bad action "1\.5"/, '1.5'],
    [FLOW.replace('action 2', 'action -0'), /bad action "-0"/, '-0'],
    [FLOW.replace('action 2', 'action -01'), /bad action "-01"/, '-01'],
    [FLOW.replace('action 2', 'action two'), /bad action "two"/, 'two'],
    [FLOW.replace('tcp4', 'tcp6'), /src-ip 192\.0\.2\.7 is IPv4 but flow-type is tcp6/, '192.0.2.7'],
    ['flow-type udp4 src-ip 10.0.0.9 dst-ip 2001:db8::1 src-port 1 dst-port 2 action 0', /dst-ip 2001:db8::1 is IPv6 but flow-type is udp4/, '2001:db8::1'],
    [FLOW.replace('10.0.0.1', '10.0.0.300'), /dst-ip: bad IP address "10\.0\.0\.300"/, '10.0.0.300'],
    [FLOW.replace(' action 2', ''), /missing action \(a flow rule needs src-ip, dst-ip, src-port, dst-port, action\)/, 'action'],
    ['flow-type tcp4 action 1', /missing src-ip, dst-ip, src-port, dst-port/, 'src-ip'],
    [FLOW + ' dst-port 81', /repeated word "dst-port"/, 'dst-port'],
    [FLOW.replace(' 2', ''), /missing value after "action"/, 'action'],
    ['flow-type tcp5 src-ip 1.2.3.4', /unknown flow type "tcp5" \(expected one of: tcp4, udp4, tcp6, udp6\)/, 'tcp5'],
    ['flow-type', /missing flow type/, undefined],
    ['listen tcp4 src-ip 1.2.3.4 dst-ip 10.0.0.1 dst-port 80 action 1', /unknown word "src-ip" \(expected one of: dst-ip, dst-port, action\)/, 'src-ip'],
    ['listen tcp4 dst-ip 10.0.0.1 action 1', /missing dst-port \(a listen rule needs dst-ip, dst-port, action\)/, 'dst-port'],
    ['default action 0 queue 1', /unknown word "queue" \(expected one of: action\)/, 'queue'],
    ['default', /missing action/, 'action'],
    ['route tcp4', /unknown word "route" at the start of a rule \(expected one of: flow-type, listen, default, learning\)/, 'route'],
  ])('%s', (line, message, word) => {
    const err = syntaxError(() => parseRules(`\n${line}\n`));
    expect(err.message).toMatch(message);
    expect(err.message.startsWith('line 2: ')).toBe(true);
    expect(err.line).toBe(2);
    expect(err.word).toBe(word);
  });
});

describe('parseRuleWords (command line)', () => {
  it('takes the words after `flow add`, `listen add`, `default set`', () => {
    const flow = parseRuleWords('flow-type udp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 5000 dst-port 53 action 2'.split(' '), 'flow');
    expect(flow).toMatchObject({ kind: 'flow', family: 4, proto: 'udp', srcPort: 5000, dstPort: 53, action: 2 });
    const listen = parseRuleWords(['tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '80', 'action', '1'], 'listen');
    expect(listen).toMatchObject({ kind: 'listen', family: 4, proto: 'tcp', dstPort: 80, action: 1 });
    expect(parseRuleWords(['action', '0'], 'default')).toEqual({ kind: 'default', action: 0 });
    expect(parseRuleWords(['action', '-1'], 'default')).toEqual({ kind: 'default', action: -1 });
  });

  it('errors carry no line number', () => {
    const err = syntaxError(() => parseRuleWords(['tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '99999', 'action', '1'], 'listen'));
    expect(err.line).toBeUndefined();
    expect(err.message).toBe('bad port "99999" for dst-port (expected 0..65535)');
    expect(syntaxError(() => parseRuleWords(['src-ip', '1.2.3.4'], 'flow')).message).toMatch(/unknown flow type "src-ip"/);
  });
});

describe('formatRule and ruleKey', () => {
  it('formats canonically and round-trips', () => {
    const text = `
      flow-type udp6 action 3 src-ip 2001:DB8:0:0::7 dst-ip 2001:db8:0000::1 src-port 5000 dst-port 53
      flow-type tcp6 src-ip ::ffff:192.0.2.1 dst-ip ::ffff:10.0.0.1 src-port 0 dst-port 65535 action -1
      listen udp4 action 7 dst-port 53 dst-ip 10.0.0.2
      default action 5`;
    const rules = parseRules(text);
    expect(rules.map(formatRule)).toEqual([
      'flow-type udp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3',
      'flow-type tcp6 src-ip ::ffff:192.0.2.1 dst-ip ::ffff:10.0.0.1 src-port 0 dst-port 65535 action -1',
      'listen udp4 dst-ip 10.0.0.2 dst-port 53 action 7',
      'default action 5',
    ]);
    for (const rule of rules) expect(parseRuleLine(formatRule(rule))).toEqual(rule);
  });

  it('keys ignore the action and the spelling of addresses', () => {
    const [a, b, c, d] = parseRules(`
      flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
      listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
      listen udp4 dst-ip 10.0.0.1 dst-port 80 action 1
      listen tcp6 dst-ip ::a00:1 dst-port 80 action 1`);
    const a2 = parseRuleLine('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action -1') as Rule;
    expect(ruleKey(a)).toBe(ruleKey(a2));
    const keys = new Set([a, b, c, d].map(ruleKey));
    expect(keys.size).toBe(4); // proto and family are part of the key
    expect(ruleKey({ kind: 'default', action: 3 })).toBe('default');
  });
});

describe('action lists (shared ports)', () => {
  it('a listen rule takes a list of queues and formats it back', () => {
    const rule = parseRuleLine('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3');
    expect(rule).toMatchObject({ kind: 'listen', family: 4, proto: 'tcp', dstPort: 8080, action: [1, 2, 3] });
    expect(formatRule(rule!)).toBe('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3');
    for (const text of ['listen udp6 dst-ip 2001:db8::1 dst-port 53 action 4,4,5', 'listen tcp4 dst-ip 10.0.0.1 dst-port 1 action 0,1,2,3,4,5,6,7']) {
      const r = parseRuleLine(text)!;
      expect(formatRule(r)).toBe(text);
      expect(parseRuleLine(formatRule(r))).toEqual(r);
    }
    expect(parseRuleWords(['tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '80', 'action', '2,1'], 'listen').action).toEqual([2, 1]);
    // a single queue stays a number
    expect((parseRuleLine('listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 3') as ListenRule).action).toBe(3);
  });

  it('the key ignores the list: the same port with another list is a repeat', () => {
    const text = 'listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 3\n';
    expect(syntaxError(() => parseRules(text)).message).toMatch(/^line 2: the same listen rule as line 1/);
  });

  it.each([
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 1,2', /an action list \("1,2"\) is only for listen rules; a flow rule takes one queue, or -1 to drop/, '1,2'],
    ['default action 0,1', /an action list \("0,1"\) is only for listen rules; a default rule takes one queue/, '0,1'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,,2', /bad action list "1,,2" \(expected queue numbers separated by commas, like 1,2,3\)/, '1,,2'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,-1', /bad action list "1,-1"/, '1,-1'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,', /bad action list "1,"/, '1,'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,x', /bad action list "1,x"/, '1,x'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 0,1,2,3,4,5,6,7,1', /action list "0,1,2,3,4,5,6,7,1" names 9 queues; a port is shared among at most 8/, '0,1,2,3,4,5,6,7,1'],
  ])('%s', (line, message, word) => {
    const err = syntaxError(() => parseRules(`\n${line}\n`));
    expect(err.message).toMatch(message);
    expect(err.line).toBe(2);
    expect(err.word).toBe(word);
  });
});

describe('learning words (connection learning and aging)', () => {
  it('`learn` ends a tcp listen rule and formats back', () => {
    const text = 'listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2,3 learn';
    const rule = parseRuleLine(text);
    expect(rule).toMatchObject({ kind: 'listen', family: 4, proto: 'tcp', dstPort: 80, action: [1, 2, 3], learn: true });
    expect(formatRule(rule!)).toBe(text);
    expect(parseRuleLine(formatRule(rule!))).toEqual(rule);
    const six = 'listen tcp6 dst-ip 2001:db8::1 dst-port 443 action 2 learn';
    expect(formatRule(parseRuleLine(six)!)).toBe(six);
    // without `learn` the rule has no learn property at all (rule sets without it are unchanged)
    expect(parseRuleLine('listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1')).not.toHaveProperty('learn');
    // learning is not part of the key: the same port with and without learn is a repeat
    expect(syntaxError(() => parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 learn')).message).toMatch(
      /^line 2: the same listen rule as line 1/,
    );
  });

  it('`idle-timeout S` on a flow rule is whole milliseconds and formats back in seconds', () => {
    const text = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2 idle-timeout 30';
    const rule = parseRuleLine(text);
    expect(rule).toMatchObject({ kind: 'flow', action: 2, idleTimeoutMs: 30_000 });
    expect(formatRule(rule!)).toBe(text);
    const early = parseRuleLine('flow-type udp6 idle-timeout 0.25 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3');
    expect(early).toMatchObject({ idleTimeoutMs: 250 });
    expect(formatRule(early!)).toBe('flow-type udp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3 idle-timeout 0.25');
    expect(parseRuleLine('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 2 action 0')).not.toHaveProperty('idleTimeoutMs');
  });

  it('a learning line: every word optional, in any order, defaults 5 s / 300 s / 10 s / 1024', () => {
    expect(parseRuleLine('learning')).toEqual({ kind: 'learning', synTimeoutMs: 5_000, idleTimeoutMs: 300_000, finTimeoutMs: 10_000, maxEmbryonic: 1024 });
    const rule = parseRuleLine('learning max-embryonic 7 fin-timeout 0.03 syn-timeout 0.05');
    expect(rule).toEqual({ kind: 'learning', synTimeoutMs: 50, idleTimeoutMs: 300_000, finTimeoutMs: 30, maxEmbryonic: 7 });
    expect(formatRule(rule!)).toBe('learning syn-timeout 0.05 idle-timeout 300 fin-timeout 0.03 max-embryonic 7');
    expect(parseRuleLine('learning max-entries 24')).toMatchObject({ kind: 'learning', maxEmbryonic: 1024, maxEntries: 24 });
    for (const text of ['learning syn-timeout 0.001 idle-timeout 3600 fin-timeout 1.005 max-embryonic 0', 'learning syn-timeout 5 idle-timeout 300 fin-timeout 10 max-embryonic 65535', 'learning syn-timeout 5 idle-timeout 300 fin-timeout 10 max-embryonic 8 max-entries 0']) {
      const r = parseRuleLine(text)!;
      expect(formatRule(r)).toBe(text);
      expect(parseRuleLine(formatRule(r))).toEqual(r);
    }
    expect(parseRuleWords(['idle-timeout', '0.2'], 'learning')).toMatchObject({ kind: 'learning', idleTimeoutMs: 200 });
    expect(ruleKey(rule!)).toBe('learning');
  });

  it.each([
    ['listen udp4 dst-ip 10.0.0.1 dst-port 53 action 1 learn', /"learn" is for tcp listen rules \(learning starts on a TCP SYN\), not udp4/, 'learn'],
    ['listen udp6 dst-ip 2001:db8::1 dst-port 53 action 1,2 learn', /not udp6/, 'learn'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 learn action 1', /"learn" must be the last word of a listen rule/, 'learn'],
    ['listen tcp4 learn dst-ip 10.0.0.1 dst-port 80 action 1', /"learn" must be the last word/, 'learn'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 learn learn', /"learn" must be the last word/, 'learn'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 learn', /"learn" ends listen rules only; a flow rule cannot learn/, 'learn'],
    ['default action 0 learn', /a default rule cannot learn/, 'learn'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout 0', /bad time "0" for idle-timeout \(expected seconds from 0\.001 to 3600, at most 3 decimals\)/, '0'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout 0.0005', /bad time "0\.0005" for idle-timeout/, '0.0005'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout 3600.001', /bad time "3600\.001"/, '3600.001'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout -5', /bad time "-5"/, '-5'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout 1e3', /bad time "1e3"/, '1e3'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout', /missing value after "idle-timeout"/, 'idle-timeout'],
    ['flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 2 idle-timeout 5 idle-timeout 6', /repeated word "idle-timeout"/, 'idle-timeout'],
    ['listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 idle-timeout 5', /unknown word "idle-timeout" \(expected one of: dst-ip, dst-port, action\)/, 'idle-timeout'],
    ['learning syn-timeout .5', /bad time "\.5" for syn-timeout/, '.5'],
    ['learning fin-timeout 5s', /bad time "5s" for fin-timeout/, '5s'],
    ['learning idle-timeout 99999999', /bad time "99999999" for idle-timeout/, '99999999'],
    ['learning max-embryonic 65536', /bad count "65536" for max-embryonic \(expected 0\.\.65535\)/, '65536'],
    ['learning max-embryonic -1', /bad count "-1" for max-embryonic/, '-1'],
    ['learning max-embryonic 2.5', /bad count "2\.5"/, '2.5'],
    ['learning max-entries 70000', /bad count "70000" for max-entries \(expected 0\.\.65535\)/, '70000'],
    ['learning syn-timeout 5 syn-timeout 6', /repeated word "syn-timeout"/, 'syn-timeout'],
    ['learning syn-timeout', /missing value after "syn-timeout"/, 'syn-timeout'],
    ['learning timeout 5', /unknown word "timeout" in a learning line \(expected one of: syn-timeout, idle-timeout, fin-timeout, max-embryonic, max-entries\)/, 'timeout'],
    ['learning learn', /unknown word "learn" in a learning line/, 'learn'],
  ])('%s', (line, message, word) => {
    const err = syntaxError(() => parseRules(`\n${line}\n`));
    expect(err.message).toMatch(message);
    expect(err.line).toBe(2);
    expect(err.word).toBe(word);
  });

  it('a second learning line names the first', () => {
    const err = syntaxError(() => parseRules('learning syn-timeout 1\n# more\nlearning idle-timeout 2\n'));
    expect(err.line).toBe(3);
    expect(err.message).toBe('line 3: a second learning line (the first is line 1) (learning)');
  });
});
