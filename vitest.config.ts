import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The IPVS suite needs a kernel with IPVS: it runs inside the VM lab (npm run test:lab).
    exclude: ['test/lab/**', '**/node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
