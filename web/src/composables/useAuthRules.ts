import type { FormItemRule } from 'element-plus';
import { useI18n } from 'vue-i18n';

/** Form rules shared by the sign-in, first-admin and change-password forms (call in setup). */
export function useAuthRules() {
  const { t } = useI18n();
  return {
    email: [
      { required: true, type: 'email', message: () => t('login.emailInvalid'), trigger: 'blur' },
    ] as FormItemRule[],
    newPassword: [{ required: true, min: 8, message: () => t('user.passwordMin'), trigger: 'blur' }] as FormItemRule[],
    /** The repeated password must equal `password()`. */
    confirmOf: (password: () => string): FormItemRule[] => [
      {
        validator: (_r, v, cb) => (v === password() ? cb() : cb(new Error(t('user.passwordMismatch')))),
        trigger: 'blur',
      },
    ],
  };
}
