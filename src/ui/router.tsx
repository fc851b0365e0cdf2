// A tiny router on the history API: the path is the state, `navigate` pushes, back/forward work,
// and <Link> is a real anchor (open in a new tab still works) whose plain clicks stay in the app.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { listen } from './listen.js';

const CHANGE = 'keynode:navigate';

export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace === true) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current path; re-renders on navigate and on back/forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => listen(['popstate', CHANGE], () => setPath(location.pathname)), []);
  return path;
}

export type Route =
  | { name: 'vaults' }
  | { name: 'vault'; id: string }
  | { name: 'contacts' }
  | { name: 'notifications' }
  | { name: 'remote' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

export function match(path: string): Route {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (clean === '/' || clean === '') return { name: 'vaults' };
  const vault = /^\/vaults\/([^/]+)$/.exec(clean);
  if (vault !== null) return { name: 'vault', id: decodeURIComponent(vault[1]!) };
  const page = (['contacts', 'notifications', 'remote', 'settings'] as const).find((name) => clean === `/${name}`);
  return page !== undefined ? { name: page } : { name: 'not-found', path };
}

export const vaultPath = (vaultId: string): string => `/vaults/${encodeURIComponent(vaultId)}`;

export function Link({ href, children, class: className, current }: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  const onClick = (event: MouseEvent): void => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} class={className} onClick={onClick} aria-current={current === true ? 'page' : undefined}>
      {children}
    </a>
  );
}
