// What the UI needs from the installed-app side of the browser (docs/design.md §10): registering the
// module service worker, an update flow in which a waiting worker takes over only when the user
// agrees (never mid-session by itself), the install prompt, and persistent storage with a usage
// estimate.
import { Workbox } from 'workbox-window';

let workbox: Workbox | undefined;
let updateWaiting = false;
const updateListeners = new Set<() => void>();

/** Registers /sw.js as a module worker; resolves with the registration (undefined where unsupported). */
export async function registerServiceWorker(url = '/sw.js'): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  workbox ??= new Workbox(url, { type: 'module' });
  workbox.addEventListener('waiting', () => {
    updateWaiting = true;
    for (const cb of [...updateListeners]) cb();
  });
  return workbox.register({ immediate: true });
}

/** `cb` runs when a new version is installed and waiting (at once if one already is). */
export function onUpdateReady(cb: () => void): () => void {
  updateListeners.add(cb);
  if (updateWaiting) queueMicrotask(cb);
  return () => updateListeners.delete(cb);
}

/** The user agreed: the waiting version takes over and the page reloads into it. */
export async function applyUpdate(): Promise<void> {
  if (workbox === undefined || !updateWaiting) return;
  workbox.addEventListener('controlling', () => location.reload());
  workbox.messageSkipWaiting();
}

interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

let deferredPrompt: BeforeInstallPromptEvent | undefined;
const installListeners = new Set<(available: boolean) => void>();
const announce = (): void => {
  for (const cb of [...installListeners]) cb(deferredPrompt !== undefined);
};
if (typeof window !== 'undefined') {
  // Chromium only: keep the event so the app shows its own "Install" button.
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    deferredPrompt = event as BeforeInstallPromptEvent;
    announce();
  });
  window.addEventListener('appinstalled', () => {
    deferredPrompt = undefined;
    announce();
  });
}

export const installPrompt = {
  /** Whether the browser offered installation (show an Install button). */
  get available(): boolean {
    return deferredPrompt !== undefined;
  },
  onChange(cb: (available: boolean) => void): () => void {
    installListeners.add(cb);
    return () => installListeners.delete(cb);
  },
  /** Shows the browser's install dialog; call from a click. */
  async prompt(): Promise<'accepted' | 'dismissed' | 'unavailable'> {
    const event = deferredPrompt;
    if (event === undefined) return 'unavailable';
    deferredPrompt = undefined;
    announce();
    await event.prompt();
    return (await event.userChoice).outcome;
  },
};

/** Asks the browser not to evict this app's data; call after a meaningful action. True if granted. */
export async function requestPersistentStorage(): Promise<boolean> {
  if (navigator.storage?.persist === undefined) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}

export async function storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }> {
  const storage = navigator.storage;
  if (storage?.estimate === undefined) return { usage: 0, quota: 0, persisted: false };
  const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted()]);
  return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
}
