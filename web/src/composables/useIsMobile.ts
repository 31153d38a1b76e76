import { onBeforeUnmount, ref } from 'vue';

/** True below 768 px (phone layout: drawer navigation, compact tables). */
export function useIsMobile(query = '(max-width: 767px)') {
  const mq = window.matchMedia(query);
  const isMobile = ref(mq.matches);
  const update = (e: MediaQueryListEvent) => (isMobile.value = e.matches);
  mq.addEventListener('change', update);
  onBeforeUnmount(() => mq.removeEventListener('change', update));
  return isMobile;
}
