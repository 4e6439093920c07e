import * as assert from 'node:assert/strict';
import type { Token } from '../../../src/params/pythonTokenizer';
import { decodeEscapes, findClosing, parseNumber, tokenize } from '../../../src/params/pythonTokenizer';

/** `kind:text` for each token, newlines as `⏎`, for compact expectations. */
function kinds(tokens: readonly Token[]): string[] {
  return tokens.map((t) => (t.kind === 'newline' ? '⏎' : `${t.kind}:${t.text}`));
}

function strings(source: string): (string | undefined)[] {
  return tokenize(source)
    .filter((t) => t.kind === 'string')
    .map((t) => t.value);
}

describe('python tokenizer', () => {
  it('splits a statement into names, operators, numbers and strings with positions', () => {
    const tokens = tokenize("parser.add_argument('--lr', type=float, default=1e-3)\n");
    assert.deepEqual(kinds(tokens), [
      'name:parser',
      'op:.',
      'name:add_argument',
      'op:(',
      "string:'--lr'",
      'op:,',
      'name:type',
      'op:=',
      'name:float',
      'op:,',
      'name:default',
      'op:=',
      'number:1e-3',
      'op:)',
      '⏎',
    ]);
    const lr = tokens[4];
    assert.deepEqual([lr.line, lr.column, lr.endLine, lr.endColumn, lr.value], [0, 20, 0, 26, '--lr']);
    assert.deepEqual(
      tokens.map((t) => t.depth),
      [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
    );
  });

  it('drops comments unless asked, and never finds code inside comments or strings', () => {
    const source = "# parser.add_argument('--a')\nx = 1  # trailing\ns = \"parser.add_argument('--b')\"\n";
    const names = tokenize(source)
      .filter((t) => t.kind === 'name')
      .map((t) => t.text);
    assert.deepEqual(names, ['x', 's']);
    const withComments = tokenize(source, { comments: true }).filter((t) => t.kind === 'comment');
    assert.deepEqual(
      withComments.map((t) => [t.text, t.line, t.column]),
      [
        ["# parser.add_argument('--a')", 0, 0],
        ['# trailing', 1, 7],
      ],
    );
  });

  it('reads every string form: quotes, triple quotes, prefixes and escapes', () => {
    assert.deepEqual(
      strings(`'a' "b" '''c\nd''' """e"f""" r'\\d+' b'\\x41' u'\\u00e9' Rb"\\n" BR'x' f'{{x}}' rf"\\{{y}}"`),
      ['a', 'b', 'c\nd', 'e"f', '\\d+', 'A', 'é', '\\n', 'x', '{x}', '\\{y}'],
    );
    assert.deepEqual(strings(`'it\\'s' "tab\\there" 'oct\\101' 'nl\\\ncont' '\\N{DASH}' '\\q'`), [
      "it's",
      'tab\there',
      'octA',
      'nlcont',
      '\\N{DASH}',
      '\\q',
    ]);
  });

  it('keeps f-strings with replacement fields as one token without a value', () => {
    const tokens = tokenize(`f"--{name}-size" f'{x["key"]}' f"{a:{width}}" f'{"}"}' 'after'`);
    assert.deepEqual(kinds(tokens).slice(0, 5), [
      'string:f"--{name}-size"',
      `string:f'{x["key"]}'`,
      'string:f"{a:{width}}"',
      `string:f'{"}"}'`,
      "string:'after'",
    ]);
    assert.deepEqual(
      tokens.slice(0, 5).map((t) => t.value),
      [undefined, undefined, undefined, undefined, 'after'],
    );
  });

  it('reads numbers with underscores, exponents, hex, octal, binary and imaginary parts', () => {
    const tokens = tokenize('1_000 3.14 .5 5. 1e-3 2.5E+10 0xFF 0o17 0b101 1j 1_0.0_1');
    assert.deepEqual(
      tokens.filter((t) => t.kind === 'number').map((t) => t.text),
      ['1_000', '3.14', '.5', '5.', '1e-3', '2.5E+10', '0xFF', '0o17', '0b101', '1j', '1_0.0_1'],
    );
    assert.deepEqual(
      ['1_000', '.5', '1e-3', '0xFF', '0o17', '0b101', '1_0.0_1'].map(parseNumber),
      [1000, 0.5, 0.001, 255, 15, 5, 10.01],
    );
    assert.ok(Number.isNaN(parseNumber('1j')));
  });

  it('prefers the longest operator', () => {
    const ops = tokenize('a **= b // c -> d := e != f ... g >>= 1')
      .filter((t) => t.kind === 'op')
      .map((t) => t.text);
    assert.deepEqual(ops, ['**=', '//', '->', ':=', '!=', '...', '>>=']);
  });

  it('ends logical lines only outside brackets and after explicit continuations', () => {
    const source = 'x = foo(1,\n        2)\ny = 1 + \\\n    2\n\n\nz = [\n  3,\n]\n';
    assert.deepEqual(kinds(tokenize(source)), [
      'name:x',
      'op:=',
      'name:foo',
      'op:(',
      'number:1',
      'op:,',
      'number:2',
      'op:)',
      '⏎',
      'name:y',
      'op:=',
      'number:1',
      'op:+',
      'number:2',
      '⏎',
      'name:z',
      'op:=',
      'op:[',
      'number:3',
      'op:,',
      'op:]',
      '⏎',
    ]);
  });

  it('counts lines for \\n, \\r\\n and \\r, and columns in UTF-16 units with tabs as one column', () => {
    const tokens = tokenize('a\r\n\tb\rc = "é😀"; d\n');
    const at = (text: string): [number, number] => {
      const t = tokens.find((x) => x.text === text);
      assert.ok(t, text);
      return [t.line, t.column];
    };
    assert.deepEqual(at('a'), [0, 0]);
    assert.deepEqual(at('b'), [1, 1]);
    assert.deepEqual(at('c'), [2, 0]);
    assert.deepEqual(at('d'), [2, 11]);
  });

  it('reads unicode identifiers and skips a byte order mark', () => {
    const tokens = tokenize('\ufeffτ_rate = 0.5\nnaïve = True\n');
    assert.deepEqual(
      tokens.filter((t) => t.kind === 'name').map((t) => [t.text, t.column]),
      [
        ['τ_rate', 0],
        ['naïve', 0],
        ['True', 8],
      ],
    );
  });

  it('degrades gracefully on unterminated strings, stray characters and unbalanced brackets', () => {
    const tokens = tokenize('x = \'open\ny = """never closed\nz = $ ? `\n) ] }\nfoo(((\n');
    const unterminated = tokens.filter((t) => t.error === 'unterminated string');
    assert.deepEqual(
      unterminated.map((t) => [t.line, t.value]),
      [
        [0, 'open'],
        [1, 'never closed\nz = $ ? `\n) ] }\nfoo(((\n'],
      ],
    );
    // After the unterminated single-quoted string the next line still tokenizes.
    assert.ok(tokens.some((t) => t.kind === 'name' && t.text === 'y' && t.line === 1));
    const stray = tokenize('a $ b ? c ` d ! e').filter((t) => t.kind === 'error');
    assert.deepEqual(
      stray.map((t) => t.text),
      ['$', '?', '`', '!'],
    );
    const unbalanced = tokenize(') ] } ( [');
    assert.ok(unbalanced.every((t) => t.depth >= 0));
    assert.equal(findClosing(unbalanced, 3), unbalanced.length - 1);
  });

  it('never throws on arbitrary input', () => {
    const samples = [
      '',
      '\\',
      "'",
      '"""',
      "f'{",
      "f'{x",
      "rb'\\",
      '0x',
      '1e',
      '1_',
      '.',
      '\t\t\f  \v',
      '\u0000\u2028\uffff',
      '😀'.repeat(3),
      "f'{x!r:>{w}}' f\"{'a' if b else 'c'}\"",
      '((((((((((',
      '))))',
    ];
    let seed = 7;
    const alphabet = `abc_019'"\\\n\r\t #()[]{}:=.,fFrRbB+-*/@!$?\`é😀`;
    for (let i = 0; i < 300; i++) {
      let text = '';
      for (let j = 0; j < 40; j++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        text += [...alphabet][seed % [...alphabet].length];
      }
      samples.push(text);
    }
    for (const sample of samples) {
      const tokens = tokenize(sample);
      for (const t of tokens) {
        assert.ok(t.end >= t.start && t.start >= 0 && t.end <= sample.length, JSON.stringify(sample));
      }
    }
  });

  it('decodes escapes like Python, keeping unknown ones', () => {
    assert.equal(decodeEscapes('a\\tb\\\\c\\x41\\101\\u00e9\\U0001F600\\z'), 'a\tb\\cAAé😀\\z');
    assert.equal(decodeEscapes('\\u00e9', true), '\\u00e9');
  });

  it('finds the bracket that closes an opening one', () => {
    const tokens = tokenize('f(a, [b, (c)], {d: e})');
    const open = tokens.findIndex((t) => t.text === '(');
    assert.equal(tokens[findClosing(tokens, open)].end, 22);
  });
});
