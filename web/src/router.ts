import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { setAuthHandlers } from './api/http';
import { auth } from './stores/auth';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    admin?: boolean;
    /** i18n key of the page title. */
    title?: string;
  }
}

// Every page is its own chunk: the login page loads none of the others' code.
const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./pages/LoginPage.vue'),
    meta: { public: true, title: 'login.submit' },
  },
  {
    path: '/setup',
    name: 'setup',
    component: () => import('./pages/SetupPage.vue'),
    meta: { public: true, title: 'setup.title' },
  },
  {
    path: '/',
    component: () => import('./layouts/MainLayout.vue'),
    children: [
      { path: '', redirect: { name: 'knowledge-bases' } },
      {
        path: 'knowledge-bases',
        name: 'knowledge-bases',
        component: () => import('./pages/KnowledgeBasesPage.vue'),
        meta: { title: 'nav.knowledgeBases' },
      },
      {
        path: 'knowledge-bases/:kbId',
        component: () => import('./layouts/KnowledgeBaseLayout.vue'),
        props: true,
        children: [
          { path: '', redirect: { name: 'kb-documents' } },
          {
            path: 'documents',
            name: 'kb-documents',
            component: () => import('./pages/DocumentsPage.vue'),
            props: true,
            meta: { title: 'kb.tabs.documents' },
          },
          {
            path: 'documents/:docId/chunks',
            name: 'kb-chunks',
            component: () => import('./pages/ChunksPage.vue'),
            props: true,
            meta: { title: 'doc.viewChunks' },
          },
          {
            path: 'hit-test',
            name: 'kb-hit-test',
            component: () => import('./pages/HitTestPage.vue'),
            props: true,
            meta: { title: 'kb.tabs.hitTest' },
          },
          {
            path: 'settings',
            name: 'kb-settings',
            component: () => import('./pages/KbSettingsPage.vue'),
            props: true,
            meta: { title: 'kb.tabs.settings' },
          },
        ],
      },
      { path: 'chat', name: 'chat', component: () => import('./pages/ChatPage.vue'), meta: { title: 'nav.chat' } },
      {
        path: 'models',
        name: 'models',
        component: () => import('./pages/ModelsPage.vue'),
        meta: { title: 'nav.models' },
      },
      {
        path: 'keys',
        name: 'api-keys',
        component: () => import('./pages/ApiKeysPage.vue'),
        meta: { title: 'nav.apiKeys' },
      },
      {
        path: 'users',
        name: 'users',
        component: () => import('./pages/UsersPage.vue'),
        meta: { admin: true, title: 'nav.users' },
      },
      {
        path: 'settings',
        name: 'settings',
        component: () => import('./pages/SettingsPage.vue'),
        meta: { title: 'nav.settings' },
      },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
    ],
  },
];

export const router = createRouter({ history: createWebHistory('/'), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!auth.isLoggedIn.value) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} };
  try {
    const user = await auth.ensureUser();
    if (to.meta.admin && user?.role !== 'admin') return { name: 'knowledge-bases' };
  } catch {
    // 401 is handled by the unauthorized handler below; any other failure still lets the page show its error.
    if (!auth.isLoggedIn.value) return { name: 'login', query: { redirect: to.fullPath } };
  }
  return true;
});

setAuthHandlers({
  unauthorized() {
    auth.signOut();
    const current = router.currentRoute.value;
    if (!current.meta.public) {
      void router.replace({ name: 'login', query: current.fullPath !== '/' ? { redirect: current.fullPath } : {} });
    }
  },
  setupRequired() {
    auth.signOut();
    void router.replace({ name: 'setup' });
  },
});
