import * as assert from 'node:assert/strict';
import { findPythonScripts, isTrainingScript } from '../../../src/runs/trainingScripts';

describe('training scripts', () => {
  it('recognises training scripts', () => {
    assert.ok(isTrainingScript('def main():\n    pass\n\nif __name__ == "__main__":\n    main()\n'));
    assert.ok(isTrainingScript("if __name__=='__main__':\n    main()"));
    assert.ok(isTrainingScript('import mlflow\nmlflow.log_metric("loss", 1)\n'));
    assert.ok(isTrainingScript('import runlog\nwith runlog.start_run():\n    pass\n'));
    assert.ok(!isTrainingScript('def helper():\n    return 1\n'));
    assert.ok(!isTrainingScript('# if __name__ == "__main__": in a comment\n'));
  });

  it('skips files it cannot read', async () => {
    const files = { 'a.py': 'if __name__ == "__main__":\n    pass\n', 'b.py': 'x = 1\n' };
    const found = await findPythonScripts(['a.py', 'b.py', 'gone.py'], (file) => {
      const text = (files as Record<string, string>)[file];
      return text === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(text);
    });
    assert.deepEqual(found, ['a.py']);
  });
});
