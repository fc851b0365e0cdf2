// Search over a whole vault by path: "/" anywhere on the page (outside a text field) focuses the box,
// Escape empties it. While it holds a query the matches replace the tree, each a full SecretItem. The
// keynode finds them (secrets.find, one call per keystroke: the paths are indexed in the core).
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { SecretItem } from '../SecretItem/index.js';

const SHOWN = 50;

function typingInto(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return el !== null && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export function SecretSearch({ keynode, vault, editable, children }: { keynode: Keynode; vault: string; editable: boolean; children: ComponentChildren }) {
  const [query, setQuery] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const active = query.trim() !== '';
  const found = useLoad(keynode, async () => (active ? keynode.secrets.find(vault, query, { limit: SHOWN }) : undefined), [vault, query]);

  // Warm the keynode's index of this vault's paths while the person is still looking: in a large
  // vault whose objects were never packed, building it is what the first search would wait for.
  useEffect(() => {
    void keynode.secrets.find(vault, '', { limit: 1 }).catch(() => undefined);
  }, [keynode, vault]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingInto(e.target) || document.querySelector('dialog[open]') !== null) return;
      e.preventDefault();
      input.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const result = active ? found.data : undefined;
  return (
    <>
      <form role="search" class="search" onSubmit={(e) => e.preventDefault()}>
        <label for={`${id}-q`}>Search this vault</label>
        <input
          id={`${id}-q`}
          ref={input}
          type="search"
          class="mono"
          autocomplete="off"
          spellcheck={false}
          placeholder="e.g. prod db password"
          aria-describedby={`${id}-hint`}
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setQuery('');
          }}
        />
        <p id={`${id}-hint`} class="hint">
          Searches the names of every secret, in every folder (never their values). Press <kbd>/</kbd> to search.
        </p>
      </form>
      {active ? (
        <section aria-label="Search results">
          <p role="status" class="muted small" data-testid="search-count">
            {result === undefined
              ? 'Searching…'
              : result.total === 0
                ? `No secret’s name contains “${query.trim()}”.`
                : `${result.total} ${result.total === 1 ? 'secret matches' : 'secrets match'}${result.total > SHOWN ? ` — the first ${SHOWN} are shown; add a word to narrow it down` : ''}.`}
          </p>
          <ErrorNote error={found.error} />
          {result !== undefined && result.paths.length > 0 && (
            <ul class="tree" data-testid="search-results">
              {result.paths.map((path) => (
                <SecretItem key={path} keynode={keynode} vault={vault} path={path} editable={editable} showPath />
              ))}
            </ul>
          )}
        </section>
      ) : (
        children
      )}
    </>
  );
}
