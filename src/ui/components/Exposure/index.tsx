// After unsharing: for each person who fetched this vault and can no longer pull it, the secrets they
// have seen that still hold the value they saw (vaults.exposure) — a rotation checklist. Each secret
// can be given a new value in place (with the generator); an item ticks itself when its secret is
// rewritten, here or anywhere else, because the keynode's list no longer holds it.
import { useRef, useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { useAction } from '../../hooks/useAction.js';
import { useLoad } from '../../hooks/useLoad.js';
import type { Person } from '../../recipients.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { ValueEditor } from '../ValueEditor/index.js';

export function Exposure({ keynode, vault, people }: { keynode: Keynode; vault: string; people: Person[] }) {
  if (people.length === 0) return null;
  return (
    <section aria-labelledby="to-rotate" data-testid="exposure">
      <h3 id="to-rotate">Secrets to change</h3>
      <p class="muted small">
        These people once fetched this vault and can no longer pull it. They keep the copy they have: change each secret they saw, so what they hold stops
        working.
      </p>
      {people.map((p) => (
        <Checklist key={p.nodeIds.join()} keynode={keynode} vault={vault} person={p} />
      ))}
    </section>
  );
}

function Checklist({ keynode, vault, person }: { keynode: Keynode; vault: string; person: Person }) {
  const exposed = useLoad(keynode, async () => {
    const lists = await Promise.all(person.nodeIds.map((n) => keynode.vaults.exposure(vault, n)));
    return new Set(lists.flat().map((e) => e.path));
  }, [vault, person.nodeIds.join()]);
  // The list as first seen: what is no longer exposed is shown ticked, not removed.
  const first = useRef<string[] | undefined>(undefined);
  if (first.current === undefined && exposed.data !== undefined) first.current = [...exposed.data].sort();
  const all = first.current ?? [];
  const left = all.filter((path) => exposed.data?.has(path) === true);
  if (exposed.error !== undefined) return <ErrorNote error={exposed.error} />;
  if (exposed.data === undefined) return <p class="muted">Working out what {person.name} has seen…</p>;
  if (all.length === 0) return null;
  return (
    <div class="card inset" data-testid="rotation-checklist">
      <h4>{person.name}</h4>
      <p role="status" aria-live="polite">
        {left.length === 0
          ? `Done: all ${all.length} secrets ${person.name} saw have been changed.`
          : `${all.length - left.length} of ${all.length} changed. ${person.name} still knows the current value of ${left.length === 1 ? 'this secret' : `these ${left.length}`}.`}
      </p>
      <ul class="plain checklist">
        {all.map((path) => (
          <ChecklistItem key={path} keynode={keynode} vault={vault} path={path} done={!left.includes(path)} />
        ))}
      </ul>
    </div>
  );
}

function ChecklistItem({ keynode, vault, path, done }: { keynode: Keynode; vault: string; path: string; done: boolean }) {
  const [value, setValue] = useState<string | undefined>(undefined);
  const save = useAction(async () => {
    await keynode.secrets.update(vault, path, value ?? '');
    setValue(undefined);
  });
  return (
    <li class={done ? 'done' : undefined}>
      <div class="row spread">
        <span>
          <span aria-hidden="true">{done ? '☑' : '☐'}</span> <span class="mono">{path}</span>
          <span class="visually-hidden">{done ? ' (changed)' : ' (not changed yet)'}</span>
        </span>
        {!done && value === undefined && (
          <button type="button" aria-label={`Change ${path}`} onClick={() => setValue('')}>
            Change…
          </button>
        )}
      </div>
      {!done && value !== undefined && (
        <ValueEditor
          path={path}
          value={value}
          onInput={setValue}
          onSave={() => void save.run()}
          onCancel={() => setValue(undefined)}
          busy={save.busy || value === ''}
          saveLabel="Save the new value"
          rows={2}
        />
      )}
      <ErrorNote error={save.error} />
    </li>
  );
}
