import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StatusUpdate } from '../src/protocol/messages';
import { LocalIdentityProvider, randomGuid } from './utils/identity-provider';
import { closeAll, connectClient, emitWithAck, record, waitUntil } from './utils/socket-client';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const APP_BODY = readFileSync(join(__dirname, 'fixtures', 'packed-app.js'), 'utf8');

/** The claimed Nest majors: 11 is CommonJS, 12 is ESM-only (loaded by the library through require(esm)). */
const MAJORS = [
  {
    major: 11,
    file: 'main.cjs',
    head: `require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const lib = require('nestjs-entra-notifications');
`,
    call: 'start({ Module, NestFactory, lib });',
  },
  {
    major: 12,
    file: 'main.mjs',
    head: `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as lib from 'nestjs-entra-notifications';
`,
    call: 'await start({ Module, NestFactory, lib });',
  },
];

// The package as users get it: `npm pack`, installed into a fresh app outside the repository,
// for each claimed Nest major, then an end-to-end scenario against it.
describe('the packed package in a fresh Nest app', () => {
  let workdir: string;
  let tarball: string;
  let idp: LocalIdentityProvider;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'packed-'));
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', workdir], {
      cwd: ROOT,
    });
    const [info] = JSON.parse(stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = join(workdir, info.filename);
    writeFileSync(join(workdir, 'files.json'), JSON.stringify(info.files.map((f) => f.path)));
    idp = await LocalIdentityProvider.start();
  }, 60_000);
  afterAll(async () => {
    await idp?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  it('holds only the compiled library, the compiled protocol and client SDK, and their type declarations', () => {
    const files = JSON.parse(readFileSync(join(workdir, 'files.json'), 'utf8')) as string[];
    const unexpected = files.filter(
      (f) =>
        !/^dist\/(lib|src)\/.+\.(js|d\.ts)$/.test(f) &&
        !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    expect(unexpected).toEqual([]);
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/index.d.ts');
    expect(files).toContain('dist/src/client/index.js');
    expect(files.some((f) => /spec|test|sample|bench/.test(f))).toBe(false);
  });

  it.each(MAJORS)(
    'Nest $major: installs with its peers and delivers a run to its owner only',
    async ({ major, file, head, call }) => {
      const app = join(workdir, `nest${major}`);
      rmSync(app, { recursive: true, force: true });
      await run('mkdir', ['-p', app]);
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({ name: `fresh-nest${major}`, private: true }),
      );
      const nest = ['common', 'core', 'websockets', 'platform-socket.io', 'platform-express'].map(
        (p) => `@nestjs/${p}@${major}`,
      );
      await run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          ...nest,
          'reflect-metadata',
          'rxjs',
          'socket.io@4.8',
          tarball,
        ],
        {
          cwd: app,
          maxBuffer: 10 * 1024 * 1024,
        },
      );
      const installed = JSON.parse(
        readFileSync(join(app, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8'),
      ) as { version: string };
      expect(installed.version.split('.')[0]).toBe(String(major));
      writeFileSync(join(app, file), `${head}\n${APP_BODY}\n${call}\n`);

      const child: ChildProcess = fork(join(app, file), [], {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? '',
          TENANT_ID: idp.tenantId,
          AUDIENCE: idp.audience,
          AUTHORITY_HOST: idp.authorityHost,
        },
        stdio: 'pipe',
      });
      let output = '';
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        const { url } = await new Promise<{ url: string }>((resolve, reject) => {
          child.once('message', (m) => resolve(m as { url: string }));
          child.once('exit', (code) => reject(new Error(`app exited (${code}):\n${output}`)));
        });
        const owner = randomGuid();
        const socket = await connectClient(url, await idp.issueToken({ oid: owner }));
        const intruder = await connectClient(url, await idp.issueToken({ oid: randomGuid() }));
        const received = record<StatusUpdate>(socket, 'statusUpdate');
        const stolen = record<StatusUpdate>(intruder, 'statusUpdate');
        child.send({ cmd: 'run', ownerId: owner });
        const { runId } = await new Promise<{ runId: string }>((resolve) =>
          child.once('message', (m) => resolve(m as { runId: string })),
        );
        expect(await emitWithAck(socket, 'subscribeToRun', { runId, afterSeq: 0 })).toMatchObject({
          ok: true,
          runId,
        });
        expect(await emitWithAck(intruder, 'subscribeToRun', runId)).toMatchObject({
          ok: false,
          error: { code: 'not_found' },
        });
        await waitUntil(socket, () => received.some((u) => u.status === 'completed'));
        expect([...new Set(received.map((u) => u.seq))]).toEqual([1, 2, 3]);
        expect(stolen).toEqual([]);
        closeAll(socket, intruder);
        child.send({ cmd: 'stop' });
        await exited;
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
    120_000,
  );
});
