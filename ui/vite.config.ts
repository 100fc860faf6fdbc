// Two pages, built to dist/: the person's consent app (index.html) and the public statistics
// portal (portal.html). server.mjs serves dist/ and the narrow IPFS proxy the app needs.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        portal: resolve(import.meta.dirname, 'portal.html'),
      },
    },
  },
});
