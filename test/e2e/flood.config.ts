import { defineConfig } from 'vitest/config';

/** The flood test (npm run test:flood): it saturates a core, so it runs alone, after the host suite. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/vrrp-flood.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
