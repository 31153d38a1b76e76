/**
 * Serves web/dist (SPA fallback) and streams /api/, /v1/, /health and /docs to a running zhiku app.
 * Used by the end-to-end walk only when the app under test does not serve the UI itself (see
 * admin-ui.e2e-spec.ts: inside Test.createTestingModule, ServeStaticModule gets its no-op loader because no
 * HTTP adapter exists yet when providers are built).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export async function startUiProxy(webDir: string, target: string): Promise<{ url: string; stop(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (/^\/(api|v1)\//.test(p) || p === '/health' || p.startsWith('/health/') || p.startsWith('/docs')) {
      const out = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(String(err));
      });
      res.on('close', () => out.destroy());
      req.pipe(out);
      return;
    }
    let file = path.join(webDir, path.normalize(decodeURIComponent(p)));
    if (!file.startsWith(webDir) || !existsSync(file) || statSync(file).isDirectory())
      file = path.join(webDir, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
