import { reactive, toRefs, type Ref } from 'vue';
import type { FormInstance } from 'element-plus';
import { errorText } from '@/utils/format';

export interface SavingState {
  saving: boolean;
  error: string;
}

/**
 * Runs a save for a form or dialog: clears its error, shows its spinner while `action` runs and puts a
 * failure into its error instead of throwing. Resolves to true when the action succeeded.
 */
export async function runSaving(state: SavingState, action: () => Promise<unknown>): Promise<boolean> {
  state.error = '';
  state.saving = true;
  try {
    await action();
    return true;
  } catch (e) {
    state.error = errorText(e);
    return false;
  } finally {
    state.saving = false;
  }
}

/**
 * `saving` and `error` refs for a form, and `submit(action)`: validates the form first (when given one;
 * an invalid form shows its own messages and nothing runs), then runs the action like runSaving.
 */
export function useFormSubmit(formRef?: Ref<FormInstance | undefined>) {
  const state = reactive<SavingState>({ saving: false, error: '' });
  async function submit(action: () => Promise<unknown>): Promise<boolean> {
    state.error = '';
    if (formRef && !(await formRef.value?.validate().catch(() => false))) return false;
    return runSaving(state, action);
  }
  return { ...toRefs(state), submit };
}
