import { useI18n } from 'vue-i18n';
import { errorText } from '@/utils/format';

export interface ConfirmedAction {
  /** The question in the confirmation box. */
  message: string;
  /** Label of the (red) confirm button; "Delete" unless given. */
  confirmButtonText?: string;
  /** The action itself, usually the API call that deletes something. */
  run: () => Promise<unknown>;
  /** Errors that still mean success, e.g. a 404 for something already gone. */
  isAlreadyDone?: (e: unknown) => boolean;
  /** Toast after success: "Deleted" unless given, none with false. */
  successMessage?: string | false;
  /** After success, e.g. reload the list; its errors are shown like the action's. */
  onSuccess?: () => unknown;
}

/**
 * Confirm-then-act for destructive actions: asks in a warning box, runs the action, reports the
 * outcome. Cancelling does nothing; a failure is shown as an error toast, never thrown.
 * Call in setup (it needs the component's i18n); the returned function resolves to true when the action ran.
 */
export function useConfirmedAction(): (action: ConfirmedAction) => Promise<boolean> {
  const { t } = useI18n();
  return async (action) => {
    try {
      await ElMessageBox.confirm(action.message, t('common.dangerTitle'), {
        type: 'warning',
        confirmButtonText: action.confirmButtonText ?? t('common.delete'),
        cancelButtonText: t('common.cancel'),
        confirmButtonClass: 'el-button--danger',
      });
    } catch {
      return false; // cancelled or closed
    }
    try {
      try {
        await action.run();
      } catch (e) {
        if (!action.isAlreadyDone?.(e)) throw e;
      }
      if (action.successMessage !== false) ElMessage.success(action.successMessage ?? t('common.deleted'));
      await action.onSuccess?.();
      return true;
    } catch (e) {
      ElMessage.error(errorText(e));
      return false;
    }
  };
}
