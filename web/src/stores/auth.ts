import { computed, reactive } from 'vue';
import { authApi } from '@/api';
import { getToken, setToken } from '@/api/http';
import type { LoginResponse, User } from '@/api/types';

const state = reactive<{ user: User | null; token: string | null }>({ user: null, token: getToken() });

/** The signed-in user; the access token lives in localStorage and goes out as `Authorization: Bearer`. */
export const auth = {
  state,
  isLoggedIn: computed(() => !!state.token),
  isAdmin: computed(() => state.user?.role === 'admin'),
  signIn(res: LoginResponse): void {
    setToken(res.accessToken);
    state.token = res.accessToken;
    state.user = res.user ?? null;
  },
  signOut(): void {
    setToken(null);
    state.token = null;
    state.user = null;
  },
  /** Loads the user behind a remembered token (after a reload). Throws ApiError (401 → back to login). */
  async ensureUser(): Promise<User | null> {
    if (!state.token) return null;
    if (!state.user) state.user = await authApi.me();
    return state.user;
  },
};
