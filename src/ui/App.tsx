// The app shell: header (status at a glance, navigation with the unread count, "Lock"), the update
// prompt, a share link opened from the address bar or shared to the installed app (the manifest's
// share_target opens /share?url=…), the offer to hear of shares in the background, the first-run and
// lock screens, and one route at a time, each in its own error boundary. Talks only to the keynode
// API object it is given.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Keynode } from '../keynode/keynode.js';
import type { NotificationData } from '../types.js';
import { ErrorBoundary } from './components/ErrorBoundary/index.js';
import { ErrorNote } from './components/ErrorNote/index.js';
import { ShareAlerts } from './components/ShareAlerts/index.js';
import { SharedVaultOffer } from './components/SharedVaultOffer/index.js';
import { StatusIndicator } from './components/StatusIndicator/index.js';
import { UpdateBanner } from './components/UpdateBanner/index.js';
import { bindNicknames, displayName, useNicknames } from './contacts-store.js';
import { useLoad } from './hooks/useLoad.js';
import { listen } from './listen.js';
import { Link, match, navigate, usePath, type Route } from './router.js';
import { Contacts } from './routes/Contacts.js';
import { FirstRun, Welcome } from './routes/FirstRun.js';
import { LockScreen } from './routes/Lock.js';
import { Notifications } from './routes/Notifications.js';
import { Remote } from './routes/Remote.js';
import { Settings } from './routes/Settings.js';
import { Vault } from './routes/Vault.js';
import { Vaults } from './routes/Vaults.js';
import type { AppProps } from './types.js';
import './styles.css';

export type { AppProps, PwaControls } from './types.js';

const confirmedKey = (nodeId: string): string => `keynode:recovery-confirmed:${nodeId}`;

type Opened = { ok: { from: string; data: NotificationData } } | { error: unknown };

/**
 * What the system share sheet handed the installed app (/share?url=…&text=…): the share link in it,
 * or else the text itself (which the keynode then refuses, saying why).
 */
function sharedToApp(): string | undefined {
  if (location.pathname !== '/share') return undefined;
  const params = new URLSearchParams(location.search);
  const given = ['url', 'text', 'title'].map((k) => params.get(k) ?? '');
  return given.map((v) => /\S*share=\S+/.exec(v)?.[0]).find((v) => v !== undefined) ?? given.find((v) => v !== '');
}

/** A `#share=…` link opened in this browser (or shared to the app): verified and stored by the keynode, then offered here. */
function useShareLinkFromAddress(keynode: Keynode, usable: boolean): [Opened | undefined, () => void] {
  const [opened, setOpened] = useState<Opened | undefined>(undefined);
  // Taken out of the address bar at once, locked or not: the token must not linger there, in
  // history or in a bookmark. It waits here, in memory, for the keynode to be unlocked.
  const [pending, setPending] = useState<string | undefined>(undefined);
  useEffect(() => {
    const take = (): void => {
      const shared = sharedToApp();
      if (shared !== undefined || location.pathname === '/share') {
        navigate('/', { replace: true });
        if (shared !== undefined) setPending(shared);
        return;
      }
      if (!location.hash.includes('share=')) return;
      const href = location.href;
      history.replaceState(history.state, '', location.pathname + location.search);
      setPending(href);
    };
    take();
    // A link pasted into the address bar of an open keynode tab only changes the fragment.
    return listen(['hashchange'], take);
  }, []);
  useEffect(() => {
    if (!usable || pending === undefined) return;
    setPending(undefined);
    keynode.notifications.openLink(pending).then(
      (item) => setOpened({ ok: { from: item.from, data: item.data } }),
      (error: unknown) => setOpened({ error }),
    );
  }, [keynode, usable, pending]);
  return [opened, () => setOpened(undefined)];
}

function OpenedLink({ keynode, opened, onClose }: { keynode: Keynode; opened: Opened; onClose: () => void }) {
  const names = useNicknames();
  return (
    <section class="card highlight" aria-labelledby="opened-link" data-testid="opened-link">
      <div class="row spread">
        <h2 id="opened-link">Share link</h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {'error' in opened ? (
        <>
          <p>This share link could not be used.</p>
          <ErrorNote error={opened.error} />
        </>
      ) : opened.ok.data.type === 'VaultShare' ? (
        <>
          <p>
            <strong>{displayName(names, opened.ok.from)}</strong> shares the vault <strong>“{opened.ok.data.vaultName}”</strong> with you. Cloning copies it
            into this browser; you can then pull their changes.
          </p>
          <SharedVaultOffer keynode={keynode} owner={opened.ok.from} vaultId={opened.ok.data.vaultId} vaultName={opened.ok.data.vaultName} />
        </>
      ) : (
        <p>The link was opened and its message is in your notifications.</p>
      )}
    </section>
  );
}

/** What counts as the user doing something: the auto-lock countdown starts again (told at most every 20 s). */
function useActivity(keynode: Keynode, active: boolean): void {
  useEffect(() => {
    if (!active) return;
    let last = 0;
    const seen = (): void => {
      const now = Date.now();
      if (now - last < 20_000) return;
      last = now;
      void keynode.noteActivity().catch(() => undefined);
    };
    return listen(['pointerdown', 'keydown', 'scroll', 'focus'], seen, { passive: true, capture: true });
  }, [keynode, active]);
}

const navItems: Array<[string, string, Route['name'][]]> = [
  ['/', 'Vaults', ['vaults', 'vault']],
  ['/notifications', 'Notifications', ['notifications']],
  ['/contacts', 'Contacts', ['contacts']],
  ['/remote', 'Remote', ['remote']],
  ['/settings', 'Settings', ['settings']],
];

export function App({ keynode, pwa, onRestore }: AppProps) {
  const path = usePath();
  const route = match(path);
  // Whether the keynode exists and is locked, kept current by its 'lock' events.
  const { data: lock, reload: refreshLock } = useLoad(keynode, () => keynode.lockState(), [], ['lock']);
  const usable = lock !== undefined && !lock.locked;
  // Asked only while unlocked: a locked keynode answers nothing.
  const { data: unread = 0, reload: refreshUnread } = useLoad(
    keynode,
    async () => (usable ? keynode.notifications.unreadCount() : 0),
    [usable],
    ['notification'],
  );
  const [opened, closeOpened] = useShareLinkFromAddress(keynode, usable);
  const showCode = (): boolean => keynode.recoveryCode !== undefined && localStorage.getItem(confirmedKey(keynode.nodeId)) === null;
  const [firstRun, setFirstRun] = useState(showCode);
  useActivity(keynode, usable);
  useEffect(() => bindNicknames(keynode), [keynode]);
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After navigating, move focus to the new screen's heading so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
    window.scrollTo(0, 0);
  }, [path, firstRun]);

  // The opened link's card belongs to the screen it was opened on: acting on it (Clone opens the
  // vault) or going elsewhere puts it away.
  const linkPath = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (opened === undefined) linkPath.current = undefined;
    else if (linkPath.current === undefined) linkPath.current = path;
    else if (linkPath.current !== path) closeOpened();
  }, [opened, path]);

  const finishFirstRun = (): void => {
    localStorage.setItem(confirmedKey(keynode.nodeId), '1');
    setFirstRun(false);
  };

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand-row">
          <Link href="/" class="brand">
            keynode
          </Link>
          <div class="row">
            <StatusIndicator keynode={keynode} />
            {usable && lock.encrypted && (
              <button type="button" class="on-brand" onClick={() => void keynode.lock().catch(() => undefined)}>
                Lock
              </button>
            )}
          </div>
        </div>
        {usable && !firstRun && (
          <nav aria-label="Main">
            <ul>
              {navItems.map(([href, label, names]) => (
                <li key={href}>
                  <Link href={href} current={names.includes(route.name)}>
                    {label}
                    {href === '/notifications' && unread > 0 && (
                      <span class="badge" data-testid="unread-badge">
                        {unread}
                        <span class="visually-hidden"> unread</span>
                      </span>
                    )}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <UpdateBanner pwa={pwa} />
      <main id="main" ref={main}>
        {usable && !firstRun && <ShareAlerts keynode={keynode} />}
        {opened !== undefined && usable && !firstRun && <OpenedLink keynode={keynode} opened={opened} onClose={closeOpened} />}
        {lock === undefined ? (
          <p class="muted">Opening keynode…</p>
        ) : !lock.created ? (
          <ErrorBoundary name="welcome">
            <Welcome
              keynode={keynode}
              onCreated={() => {
                setFirstRun(showCode());
                void refreshLock();
              }}
            />
          </ErrorBoundary>
        ) : lock.locked ? (
          <ErrorBoundary name="lock">
            <LockScreen keynode={keynode} state={lock} />
          </ErrorBoundary>
        ) : firstRun ? (
          <ErrorBoundary name="welcome">
            <FirstRun keynode={keynode} recoveryCode={keynode.recoveryCode!} onDone={finishFirstRun} />
          </ErrorBoundary>
        ) : (
          <ErrorBoundary key={route.name} name={route.name}>
            <Screen route={route} keynode={keynode} pwa={pwa} onRestore={onRestore} onRead={refreshUnread} />
          </ErrorBoundary>
        )}
      </main>
    </>
  );
}

function Screen({ route, keynode, pwa, onRestore, onRead }: { route: Route; onRead: () => void } & AppProps) {
  switch (route.name) {
    case 'vaults':
      return <Vaults keynode={keynode} onCreated={() => void pwa?.requestPersistentStorage?.().catch(() => undefined)} />;
    case 'vault':
      return <Vault keynode={keynode} id={route.id} />;
    case 'contacts':
      return <Contacts keynode={keynode} />;
    case 'notifications':
      return <Notifications keynode={keynode} onRead={onRead} />;
    case 'remote':
      return <Remote keynode={keynode} />;
    case 'settings':
      return <Settings keynode={keynode} pwa={pwa} onRestore={onRestore} />;
    case 'not-found':
      return (
        <section class="card">
          <h1 tabIndex={-1}>Nothing here</h1>
          <p>There is no page at {route.path}.</p>
          <Link href="/">Go to your vaults</Link>
        </section>
      );
  }
}
