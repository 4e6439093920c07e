import * as assert from 'node:assert/strict';
import { cmdQuote, commandLine, shellQuote } from '../../../src/util/shellQuote';

describe('shell quoting', () => {
  it("quotes like Python's shlex.quote", () => {
    assert.deepEqual(
      ['', 'plain-word_1.0', 'a b', "it's", 's3://bucket/key', 'x=1,y@2%', '$HOME', 'é', '--lr=0.1'].map(shellQuote),
      ["''", 'plain-word_1.0', "'a b'", `'it'"'"'s'`, 's3://bucket/key', 'x=1,y@2%', "'$HOME'", "'é'", '--lr=0.1'],
    );
  });

  it('quotes for cmd.exe only what it would split or interpret', () => {
    assert.deepEqual(['C:\\Py 3\\python.exe', 'C:\\ext\\python', 'say "hi"', 'a&b', "it's"].map(cmdQuote), [
      '"C:\\Py 3\\python.exe"',
      'C:\\ext\\python',
      '"say ""hi"""',
      '"a&b"',
      "it's",
    ]);
  });

  it("writes an argv as the platform's shell reads it", () => {
    const argv = ['/opt/my env/python', 'train.py', '--name', "o'brien"];
    assert.equal(commandLine(argv, 'linux'), `'/opt/my env/python' train.py --name 'o'"'"'brien'`);
    assert.equal(commandLine(argv, 'darwin'), commandLine(argv, 'linux'));
    assert.equal(commandLine(argv, 'win32'), `"/opt/my env/python" train.py --name o'brien`);
  });
});
