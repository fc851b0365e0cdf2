// Sharing a vault: pick a contact or paste a NodeId, share, then hand over the share link (copy,
// QR code, the system share sheet). Below: who can pull now — one row per person, whose linked
// browsers a share covers — with the version they last fetched and when (the pull log), each with
// "Stop sharing"; then, for people who fetched it and can pull no more, what to change (Exposure).
import { ContactSelect } from '../ContactSelect/index.js';
import { useEffect, useState } from 'preact/hooks';
import { isNodeId } from '../../../ids/index.js';
import type { Keynode } from '../../../keynode/keynode.js';
import { displayName, setNickname, useNicknames } from '../../contacts-store.js';
import { formatAgo } from '../../format.js';
import { useAction } from '../../hooks/useAction.js';
import { useLoad } from '../../hooks/useLoad.js';
import { ActionForm } from '../ActionForm/index.js';
import { ConfirmButton } from '../ConfirmButton/index.js';
import { CopyButton } from '../CopyButton/index.js';
import { groupByPerson } from '../../recipients.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { Exposure } from '../Exposure/index.js';
import { NodeIdInput } from '../NodeIdInput/index.js';
import { Qr } from '../Qr/index.js';

export function ShareLinkCard({ link, recipient, vaultName }: { link: string; recipient: string; vaultName: string }) {
  const canShare = typeof navigator.share === 'function';
  return (
    <div class="card inset" data-testid="share-link">
      <h3>Share link for {recipient}</h3>
      <p>
        The link works only on {recipient}’s keynode. Send it any way you like (chat, mail, QR code); it lets them clone “{vaultName}” while you are online.
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
  const perms = useLoad(keynode, () => keynode.vaults.permissions(vault), [vault]);
  // Peers fetch without telling this screen: look again now and then.
  const pulls = useLoad(keynode, () => keynode.vaults.pullLog(vault), [vault]);
  useEffect(() => {
    const timer = setInterval(() => void pulls.reload(), 15_000);
    return () => clearInterval(timer);
  }, [vault]);
  const [choice, setChoice] = useState('');
  const [pasted, setPasted] = useState('');
  const [nickname, setNick] = useState('');
  const [link, setLink] = useState<{ url: string; to: string } | undefined>(undefined);

  const target = choice !== '' ? choice : pasted.trim();
  const known = gestalts.data?.some((g) => g.nodes.includes(target)) ?? false;
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
    await Promise.all([perms.reload(), gestalts.reload()]);
  });
  const unshare = useAction(async (nodeId: string) => {
    await keynode.vaults.unshare(vault, nodeId);
    setLink(undefined);
    await Promise.all([perms.reload(), pulls.reload()]);
  });

  // One row per person: a share covers every browser of their gestalt, and so does unsharing.
  const allowed = (perms.data ?? []).filter((p) => p.actions.length > 0);
  const canPull = groupByPerson(
    allowed.map((p) => p.nodeId),
    gestalts.data ?? [],
    names,
  ).map((person) => ({ ...person, actions: [...new Set(allowed.filter((p) => person.nodeIds.includes(p.nodeId)).flatMap((p) => p.actions))] }));
  const lastFetch = (nodeIds: string[]) => pulls.data?.find((r) => nodeIds.includes(r.nodeId));
  const formerly =
    perms.data === undefined
      ? []
      : groupByPerson(
          [...new Set((pulls.data ?? []).map((r) => r.nodeId))].filter((n) => !allowed.some((p) => p.nodeId === n)),
          gestalts.data ?? [],
          names,
        );
  return (
    <div class="stack">
      <ActionForm action={share} ready={valid} label={`Share “${vaultName}”`} busyLabel="Sharing…">
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
      </ActionForm>
      {link !== undefined && <ShareLinkCard link={link.url} recipient={displayName(names, link.to)} vaultName={vaultName} />}
      <section aria-labelledby="who-can-pull">
        <h3 id="who-can-pull">Who can pull now</h3>
        {perms.error !== undefined && <ErrorNote error={perms.error} />}
        {canPull.length === 0 ? (
          <p class="muted">{formerly.length === 0 ? 'Nobody else. This vault is only in this browser.' : 'Nobody can pull it now.'}</p>
        ) : (
          <ul class="plain" data-testid="who-can-pull">
            {canPull.map((p) => (
              <li key={p.nodeIds[0]} class="row spread">
                <span>
                  <strong>{p.name}</strong>{' '}
                  <span class="muted small">
                    {p.nodeIds.length > 1 ? `on ${p.nodeIds.length} linked browsers · ` : ''}can {p.actions.join(' and ')}
                  </span>
                  <br />
                  <FetchedLine record={lastFetch(p.nodeIds)} />
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
                    {p.nodeIds.length > 1 ? ` — on any of their ${p.nodeIds.length} linked browsers` : ''}. keynode then lists the secrets they have seen, to
                    change.
                  </p>
                </ConfirmButton>
              </li>
            ))}
          </ul>
        )}
        <ErrorNote error={unshare.error} />
      </section>
      <Exposure keynode={keynode} vault={vault} people={formerly} />
    </div>
  );
}

function FetchedLine({ record }: { record: { kind: 'clone' | 'pull'; commitId: string; at: number } | undefined }) {
  if (record === undefined) return <span class="muted small">Has not fetched it yet.</span>;
  return (
    <span class="small" data-testid="last-fetch">
      {record.kind === 'clone' ? 'Cloned' : 'Pulled'} version <span class="mono">{record.commitId.slice(0, 7)}</span>{' '}
      <time dateTime={new Date(record.at).toISOString()} title={new Date(record.at).toLocaleString()}>
        {formatAgo(record.at)}
      </time>
    </span>
  );
}
