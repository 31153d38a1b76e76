import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import AutoImport from 'unplugin-auto-import/vite';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';

/**
 * The admin UI. Run from the repository root:
 *   vite build --config web/vite.config.ts        → web/dist (served by the NestJS app at /)
 *   vite --config web/vite.config.ts              → dev server, API proxied to the app on :3000
 *   vite preview --config web/vite.config.ts      → serves web/dist, same proxy
 */
const webDir = path.dirname(fileURLToPath(import.meta.url));
const apiTarget = process.env.ZHIKU_API_URL ?? 'http://127.0.0.1:3000';
// Regex keys: '/api/…' but not the UI's own routes that merely start with the same letters.
const proxy = Object.fromEntries(
  ['^/api/', '^/v1/', '^/health$', '^/docs'].map((prefix) => [prefix, { target: apiTarget, changeOrigin: false }]),
);

export default defineConfig({
  root: webDir,
  base: '/',
  publicDir: path.join(webDir, 'public'),
  resolve: { alias: { '@': path.join(webDir, 'src') } },
  plugins: [
    vue(),
    // Element Plus on demand: components in templates and ElMessage/ElMessageBox in scripts pull in
    // only their own code and CSS, so the login page stays small.
    AutoImport({
      resolvers: [ElementPlusResolver()],
      dts: path.join(webDir, 'src', 'auto-imports.d.ts'),
    }),
    Components({
      resolvers: [ElementPlusResolver()],
      dirs: [],
      dts: path.join(webDir, 'src', 'components.d.ts'),
    }),
  ],
  build: {
    outDir: path.join(webDir, 'dist'),
    emptyOutDir: true,
    manifest: true,
    chunkSizeWarningLimit: 800,
    target: 'es2020',
  },
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
});
