import { inject, provide, type InjectionKey, type Ref } from 'vue';
import type { KnowledgeBase } from '@/api/types';

export interface CurrentKb {
  kb: Ref<KnowledgeBase | null>;
  reload: () => Promise<void>;
}

const KEY: InjectionKey<CurrentKb> = Symbol('current-kb');

/** The knowledge base the KB layout loaded, shared with its tab pages. */
export function provideCurrentKb(value: CurrentKb): void {
  provide(KEY, value);
}

export function useCurrentKb(): CurrentKb {
  const v = inject(KEY);
  if (!v) throw new Error('useCurrentKb() outside KnowledgeBaseLayout');
  return v;
}
