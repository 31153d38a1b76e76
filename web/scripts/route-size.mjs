#!/usr/bin/env node
// Sums the gzipped JavaScript a route loads, from the build manifest (web/dist/.vite/manifest.json):
// the entry chunk, the route's page chunk, and every chunk they import statically (recursively).
// Usage: node web/scripts/route-size.mjs [src/pages/LoginPage.vue ...]   (run `vite build` first)
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8'));
const pages = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [
      'src/pages/LoginPage.vue',
      'src/pages/KnowledgeBasesPage.vue',
      'src/pages/DocumentsPage.vue',
      'src/pages/ChatPage.vue',
    ];
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);

function collect(key, seen) {
  if (seen.has(key)) return;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) collect(dep, seen);
}
const layouts = { 'src/pages/LoginPage.vue': [], 'src/pages/SetupPage.vue': [] };
let failed = false;
for (const page of pages) {
  if (!manifest[page]) {
    console.error(`no chunk for ${page}`);
    failed = true;
    continue;
  }
  const seen = new Set();
  collect(entryKey, seen);
  for (const l of layouts[page] ?? ['src/layouts/MainLayout.vue']) if (manifest[l]) collect(l, seen);
  if (/pages\/(Documents|Chunks|HitTest|KbSettings)Page/.test(page))
    collect('src/layouts/KnowledgeBaseLayout.vue', seen);
  collect(page, seen);
  let raw = 0;
  let gz = 0;
  for (const key of seen) {
    const buf = readFileSync(join(dist, manifest[key].file));
    raw += buf.length;
    gz += gzipSync(buf, { level: 9 }).length;
  }
  console.log(
    `${page.padEnd(36)} ${String(seen.size).padStart(3)} JS files  ${(raw / 1024).toFixed(1).padStart(7)} KB raw  ${(gz / 1024).toFixed(1).padStart(6)} KB gzip`,
  );
}
process.exit(failed ? 1 : 0);
