// Sharing a vault: pick a contact or paste a NodeId, share, then hand over the share link (copy,
// QR code, the system share sheet). Below: who can pull now — one row per person, whose linked
// browsers a share covers — each with "Stop sharing".
import { ContactSelect } from '../ContactSelect/index.js';
import { useState } from 'preact/hooks';
import { isNodeId } from '../../../ids/index.js';
import type { Keynode } from '../../../keynode/keynode.js';
import { displayName, setNickname, useNicknames } from '../../contacts-store.js';
import { useAction } from '../../hooks/useAction.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ConfirmButton } from '../ConfirmButton/index.js';
import { CopyButton } from '../CopyButton/index.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { NodeIdInput } from '../NodeIdInput/index.js';
import { Qr } from '../Qr/index.js';

export function ShareLinkCard({ link, recipient, vaultName }: { link: string; recipient: string; vaultName: string }) {
  const canShare = typeof navigator.share === 'function';
  return (
    <div class="card inset" data-testid="share-link">
      <h3>Share link for {recipient}</h3>
      <p>
        The link works only on {recipient}’s keynode. Send it any way you like (chat, mail, QR code); it lets them clone “{vaultName}” while
        you are online.
      </p>
      <label>
        Share link
        <input autocomplete="off" class="mono" readOnly value={link} onFocus={(e) => (e.target as HTMLInputElement).select()} />
      </label>
      <div class="row">
        <CopyButton text={link} label="Copy link" />
        {canShare && (
          <button type="button" onClick={() => void navigator.share({ title: `keynode: ${vaultName}`, url: link }).catch(() => undefined)}>
            Share…
          </button>
        )}
      </div>
      <Qr text={link} label={`QR code of the share link for ${recipient}`} />
    </div>
  );
}

export function SharePanel({ keynode, vault, vaultName }: { keynode: Keynode; vault: string; vaultName: string }) {
  const names = useNicknames();
  const gestalts = useLoad(keynode, async () => (await keynode.gestalts.list()).filter((g) => !g.own), [], ['notification']);
  const contacts = { data: gestalts.data?.flatMap((g) => g.nodes), reload: gestalts.reload };
  const perms = useLoad(keynode, () => keynode.vaults.permissions(vault), [vault]);
  const [choice, setChoice] = useState('');
  const [pasted, setPasted] = useState('');
  const [nickname, setNick] = useState('');
  const [link, setLink] = useState<{ url: string; to: string } | undefined>(undefined);

  const target = choice !== '' ? choice : pasted.trim();
  const known = contacts.data?.includes(target) ?? false;
  const valid = isNodeId(target);

  const share = useAction(async () => {
    if (!known) {
      await keynode.gestalts.trust(target);
      if (nickname.trim() !== '') await setNickname(target, nickname);
    }
    await keynode.vaults.share(vault, target);
    const url = await keynode.vaults.shareLink(vault, target, { baseUrl: `${location.origin}/` });
    setLink({ url, to: target });
    setPasted('');
    setChoice('');
    setNick('');
    await Promise.all([perms.reload(), contacts.reload()]);
  });
  const unshare = useAction(async (nodeId: string) => {
    await keynode.vaults.unshare(vault, nodeId);
    setLink(undefined);
    await perms.reload();
  });

  // One row per person: a share covers every browser of their gestalt, and so does unsharing.
  const canPull = groupByGestalt(
    (perms.data ?? []).filter((p) => p.actions.length > 0),
    gestalts.data ?? [],
    names,
  );
  return (
    <div class="stack">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void share.run();
        }}
      >
        <ContactSelect label="Share with a contact" contacts={gestalts.data} value={choice} onChange={setChoice} perPerson />
        {choice === '' && (
          <>
            <NodeIdInput label="Or paste their NodeId" value={pasted} onInput={setPasted} />
            {valid && !known && (
              <label>
                Their name (optional, only kept in this browser)
                <input autocomplete="off" value={nickname} onInput={(e) => setNick((e.target as HTMLInputElement).value)} />
              </label>
            )}
            {valid && !known && <p class="hint">This NodeId is new: sharing also adds it to your contacts.</p>}
          </>
        )}
        <div>
          <button type="submit" class="primary" disabled={!valid || share.busy}>
            {share.busy ? 'Sharing…' : `Share “${vaultName}”`}
          </button>
        </div>
        <ErrorNote error={share.error} />
      </form>
      {link !== undefined && <ShareLinkCard link={link.url} recipient={displayName(names, link.to)} vaultName={vaultName} />}
      <section aria-labelledby="who-can-pull">
        <h3 id="who-can-pull">Who can pull now</h3>
        {perms.error !== undefined && <ErrorNote error={perms.error} />}
        {canPull.length === 0 ? (
          <p class="muted">Nobody else. This vault is only in this browser.</p>
        ) : (
          <ul class="plain" data-testid="who-can-pull">
            {canPull.map((p) => (
              <li key={p.nodeIds[0]} class="row spread">
                <span>
                  <strong>{p.name}</strong>{' '}
                  <span class="muted small">
                    {p.nodeIds.length > 1 ? `on ${p.nodeIds.length} linked browsers · ` : ''}can {p.actions.join(' and ')}
                  </span>
                </span>
                <ConfirmButton
                  label="Stop sharing"
                  ariaLabel={`Stop sharing with ${p.name}`}
                  title={`Stop sharing “${vaultName}” with ${p.name}?`}
                  confirmLabel="Stop sharing"
                  danger
                  onConfirm={() => unshare.run(p.nodeIds[0]!)}
                >
                  <p>
                    They keep the copy they already have, but can never pull changes again
                    {p.nodeIds.length > 1 ? ` — on any of their ${p.nodeIds.length} linked browsers` : ''}.
                  </p>
                </ConfirmButton>
              </li>
            ))}
          </ul>
        )}
        <ErrorNote error={unshare.error} />
      </section>
    </div>
  );
}

interface Recipient {
  /** The person's name: the first of their browsers with a nickname, else a short NodeId. */
  name: string;
  nodeIds: string[];
  actions: string[];
}

/** Permission rows grouped by gestalt (nodes outside any known gestalt stand alone). */
function groupByGestalt(
  perms: Array<{ nodeId: string; actions: string[] }>,
  gestalts: Array<{ nodes: string[] }>,
  names: Record<string, string>,
): Recipient[] {
  const groups = new Map<string, { nodeIds: string[]; actions: Set<string> }>();
  for (const p of perms) {
    const members = gestalts.find((g) => g.nodes.includes(p.nodeId))?.nodes ?? [p.nodeId];
    const key = [...members].sort().join(' ');
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { nodeIds: [], actions: new Set() }));
    group.nodeIds.push(p.nodeId);
    for (const a of p.actions) group.actions.add(a);
  }
  return [...groups.values()].map(({ nodeIds, actions }) => ({
    name: displayName(names, nodeIds.find((n) => names[n] !== undefined) ?? nodeIds[0]!),
    nodeIds,
    actions: [...actions],
  }));
}
