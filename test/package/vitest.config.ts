import { defineConfig } from 'vitest/config';

/** The package test (npm run test:package): builds, lints and installs the .deb and .rpm, one step at a time. */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/package/packages.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
  },
});
