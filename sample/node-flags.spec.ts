import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

// The benchmark measures the sample as it runs in production, so the node flags written in the
// Dockerfile, in `npm start` and in the benchmark must be the same.
describe("the sample's node flags", () => {
  const { NODE_FLAGS } = jest.requireActual<{ NODE_FLAGS: string[] }>('../bench/lib/variants');

  it('are set', () => {
    expect(NODE_FLAGS.length).toBeGreaterThan(0);
  });

  it("are the Dockerfile's NODE_OPTIONS", () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(/^ENV NODE_OPTIONS=(.+)$/m.exec(dockerfile)?.[1].split(' ')).toEqual(NODE_FLAGS);
  });

  it('are the ones npm start runs the sample with', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toContain(`node ${NODE_FLAGS.join(' ')} dist/sample/main.js`);
  });
});
