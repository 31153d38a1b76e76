import { Pool } from 'pg';
(async () => {
  const pool = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/zhiku_bench' });
  const t: number[] = [];
  for (let i = 0; i < 300; i++) { const s = performance.now(); await pool.query('SELECT 1'); t.push(performance.now() - s); }
  t.sort((a, b) => a - b);
  console.log('SELECT 1 p50', t[150].toFixed(2), 'p95', t[285].toFixed(2));
  await pool.end();
})();
