// Sharing a vault: pick a contact or paste a NodeId, share, then hand over the share link (copy,
// QR code, the system share sheet). Below: who can pull now, each with "Stop sharing".
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
        <input class="mono" readOnly value={link} onFocus={(e) => (e.target as HTMLInputElement).select()} />
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
  const contacts = useLoad(keynode, async () => (await keynode.gestalts.list()).filter((g) => !g.own).flatMap((g) => g.nodes), [], ['notification']);
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
      if (nickname.trim() !== '') setNickname(target, nickname);
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
    if (link?.to === nodeId) setLink(undefined);
    await perms.reload();
  });

  const canPull = (perms.data ?? []).filter((p) => p.actions.length > 0);
  return (
    <div class="stack">
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void share.run();
        }}
      >
        <ContactSelect label="Share with a contact" contacts={contacts.data} value={choice} onChange={setChoice} />
        {choice === '' && (
          <>
            <NodeIdInput label="Or paste their NodeId" value={pasted} onInput={setPasted} />
            {valid && !known && (
              <label>
                Their name (optional, only kept in this browser)
                <input value={nickname} onInput={(e) => setNick((e.target as HTMLInputElement).value)} />
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
              <li key={p.nodeId} class="row spread">
                <span>
                  <strong>{displayName(names, p.nodeId)}</strong> <span class="muted small">can {p.actions.join(' and ')}</span>
                </span>
                <ConfirmButton
                  label="Stop sharing"
                  ariaLabel={`Stop sharing with ${displayName(names, p.nodeId)}`}
                  title={`Stop sharing “${vaultName}” with ${displayName(names, p.nodeId)}?`}
                  confirmLabel="Stop sharing"
                  danger
                  onConfirm={() => unshare.run(p.nodeId)}
                >
                  <p>They keep the copy they already have, but can never pull changes again.</p>
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
