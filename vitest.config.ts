import { defineConfig } from 'vitest/config';

// The IPVS suite needs a kernel with IPVS: it runs inside the VM lab (npm run test:lab). The package test
// builds and installs the packages, minutes of compression and compiling that would disturb the timing of
// the VRRP tests running next to it: it runs on its own (npm run test:package). The flood test saturates a
// core: it too runs on its own (npm run test:flood).
const ELSEWHERE = ['test/lab/**', 'test/package/packages.test.ts', 'test/e2e/vrrp-flood.test.ts', '**/node_modules/**'];
// Files that load the CPU on purpose or measure event-loop stalls: one at a time, after the rest.
const ALONE = ['test/e2e/vrrp-isolation.test.ts', 'test/e2e/stall-netns.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    projects: [
      // The namespace tests mostly wait on VRRP timers: two files at a time.
      { extends: true, test: { name: 'host', include: ['test/**/*.test.ts'], exclude: [...ELSEWHERE, ...ALONE], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
