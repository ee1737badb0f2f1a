// Bundles the client SDK for the browser (an IIFE exposing `NotificationsSdk`), next to the sample page.
const { buildSync } = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..');
buildSync({
  entryPoints: [join(root, 'src', 'client', 'index.ts')],
  outfile: join(root, 'dist', 'sample', 'public', 'notifications-sdk.js'),
  bundle: true,
  format: 'iife',
  globalName: 'NotificationsSdk',
  platform: 'browser',
  target: ['es2020'],
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});
