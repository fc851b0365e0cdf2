// What the UI is given from outside: the keynode (in the page or through the service worker RPC)
// and the installed-app controls of src/platform/pwa.ts. Every PWA control is optional so the UI
// works in a plain tab, in tests, and before the platform side is wired.
import type { Keynode } from '../keynode/keynode.js';

export interface InstallPromptControl {
  /** Whether the browser offered installation right now. */
  readonly available: boolean;
  onChange(cb: (available: boolean) => void): () => void;
  prompt(): Promise<'accepted' | 'dismissed' | 'unavailable'>;
}

export interface PwaControls {
  /** `cb` runs when a new version is installed and waiting; returns an unsubscribe. */
  onUpdateReady?: (cb: () => void) => () => void;
  /** Activates the waiting version (only after the user agreed) and reloads. */
  applyUpdate?: () => Promise<void>;
  installPrompt?: InstallPromptControl;
  requestPersistentStorage?: () => Promise<boolean>;
  storageEstimate?: () => Promise<{ usage: number; quota: number; persisted: boolean }>;
}

export interface AppProps {
  keynode: Keynode;
  pwa?: PwaControls;
  /**
   * Replaces this browser's keynode with the one a recovery code belongs to, encrypted with a new
   * passphrase (main.tsx wires it); the Settings form shows only when given.
   */
  onRestore?: (code: string, passphrase: string) => Promise<void>;
}
