import { reactive } from 'vue';
import { fetchHealth } from '@/api/health';
import type { HealthSummary } from '@/api/types';

const state = reactive<{ summary: HealthSummary | null; loading: boolean; checkedAt: number }>({
  summary: null,
  loading: false,
  checkedAt: 0,
});
let timer: ReturnType<typeof setInterval> | undefined;
let users = 0;

/** /health, polled while a page that shows it is mounted (every 15 s; at once when the tab comes back). */
export const health = {
  state,
  async refresh(): Promise<HealthSummary> {
    state.loading = true;
    try {
      state.summary = await fetchHealth();
      state.checkedAt = Date.now();
      return state.summary;
    } finally {
      state.loading = false;
    }
  },
  start(): void {
    users++;
    if (timer) return;
    void health.refresh();
    timer = setInterval(() => {
      if (document.visibilityState === 'visible') void health.refresh();
    }, 15_000);
    document.addEventListener('visibilitychange', onVisible);
  },
  stop(): void {
    users = Math.max(0, users - 1);
    if (users || !timer) return;
    clearInterval(timer);
    timer = undefined;
    document.removeEventListener('visibilitychange', onVisible);
  },
};

function onVisible(): void {
  if (document.visibilityState === 'visible' && Date.now() - state.checkedAt > 5_000) void health.refresh();
}
