import * as assert from 'node:assert/strict';
import { artifactRows } from '../../../src/views/artifactRows';
import { runDetails } from '../../support/runFixtures';

const file = (path: string, size = 10): { path: string; size: number; sha256: string } => ({
  path,
  size,
  sha256: 'abc',
});
const image = (step: number, tail = '.png'): string => `images/val#pred%step%${step}%timestamp%${step}%g${step}${tail}`;

describe("the Runs view's artifacts", () => {
  it('shows an image series as one row per key, a table’s images as one row, each file by its type', () => {
    const run = runDetails({
      id: 'r1',
      tags: { 'mlflow.loggedArtifacts': '[{"path": "eval/worst.json", "type": "table"}]' },
      artifacts: [
        file(image(0)),
        file(image(0, '%compressed.webp')),
        file(image(5)),
        file('eval/worst.json', 2048),
        file('table_images/eval/worst/g1.png'),
        file('table_images/eval/worst/g1.webp'),
        file('plots/confusion.png'),
        file('report.html'),
        file('model/model.pkl', 5 * 1024 * 1024),
      ],
    });
    const rows = artifactRows(run, '/w/.runlog');
    assert.deepEqual(
      rows.map((r) => [r.label, r.value, r.icon, r.command?.command]),
      [
        ['images: val/pred', '2 steps (steps 0–5)', 'file-media', 'runlog.openMedia'],
        ['eval/worst.json', '2.0 KB', 'table', 'runlog.openArtifact'],
        ['plots/confusion.png', '10 B', 'file-media', 'runlog.openArtifact'],
        ['report.html', '10 B', 'file-code', 'runlog.openArtifact'],
        ['model/model.pkl', '5.0 MB', 'file', 'runlog.openArtifact'],
        ['table_images/eval/worst/', '2 files: the images of eval/worst.json', 'file-media', 'runlog.openArtifact'],
      ],
    );
    assert.deepEqual(rows[0].command?.arguments, [{ runIds: ['r1'], keys: ['val/pred'] }]);
    assert.deepEqual(rows[1].command?.arguments, [
      { storeDir: '/w/.runlog', runId: 'r1', path: 'eval/worst.json', table: true },
    ]);
    assert.deepEqual(rows[5].command?.arguments, [
      { storeDir: '/w/.runlog', runId: 'r1', path: 'eval/worst.json', table: true },
    ]);
  });
});
