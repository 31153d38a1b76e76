import { ref } from 'vue';
import { errorText } from '@/utils/format';

/**
 * Loading state for a page's data: `load()` shows the spinner, runs `fetch` (which stores what it got),
 * clears the error on success and shows the failure as the page's error instead of throwing.
 */
export function useLoader(fetch: () => Promise<unknown>, options: { loading?: boolean } = {}) {
  const loading = ref(options.loading ?? false);
  const error = ref('');
  async function load() {
    loading.value = true;
    try {
      await fetch();
      error.value = '';
    } catch (e) {
      error.value = errorText(e);
    } finally {
      loading.value = false;
    }
  }
  return { loading, error, load };
}
