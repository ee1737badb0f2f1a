// Copies the sample's static page into dist/, next to the compiled sample.
const { cpSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
cpSync(join(root, 'sample', 'public'), join(root, 'dist', 'sample', 'public'), { recursive: true });
