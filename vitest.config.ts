import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The IPVS suite needs a kernel with IPVS: it runs inside the VM lab (npm run test:lab). The package
    // test builds and installs the packages, minutes of compression and compiling that would disturb the
    // timing of the VRRP tests running next to it: it runs on its own (npm run test:package).
    // The flood test saturates a core: it too runs on its own (npm run test:flood).
    exclude: ['test/lab/**', 'test/package/packages.test.ts', 'test/e2e/vrrp-flood.test.ts', '**/node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
