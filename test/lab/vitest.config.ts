import { defineConfig } from 'vitest/config';

/**
 * The IPVS suite: runs inside the VM lab (test/lab/vm.mjs), where the kernel has IPVS. Under software
 * emulation everything is ~10x slower, and the files share one kernel's IPVS table: one file at a time.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/lab/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
