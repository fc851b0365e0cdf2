// Contacts: the keynodes this one trusts (a local nickname each, a safety number to compare), and
// linking this browser with another browser of the same person (a pairing code shown on one and
// scanned on the other, or invite on one and claim on the other),
// or removing a linked browser (a lost phone) from this person's devices (docs/gestalts.md).
import { useState } from 'preact/hooks';
import { isNodeId } from '../../ids/index.js';
import type { Keynode } from '../../keynode/keynode.js';
import { Card } from '../components/Card/index.js';
import { ActionForm, submitting } from '../components/ActionForm/index.js';
import { ConfirmButton } from '../components/ConfirmButton/index.js';
import { ErrorNote } from '../components/ErrorNote/index.js';
import { NodeIdCard } from '../components/NodeIdCard/index.js';
import { NodeIdInput } from '../components/NodeIdInput/index.js';
import { displayName, setNickname, useNicknames } from '../contacts-store.js';
import { useAction } from '../hooks/useAction.js';
import { useLazy } from '../hooks/useLazy.js';
import { useLoad } from '../hooks/useLoad.js';
import { safetyNumber } from '../safety-number.js';

type Gestalt = { nodes: string[]; actions: Array<'notify' | 'scan' | 'claim'>; own: boolean };

export function Contacts({ keynode }: { keynode: Keynode }) {
  const gestalts = useLoad(keynode, () => keynode.gestalts.list(), [], ['notification', 'vault-changed']);
  const own = gestalts.data?.find((g) => g.own);
  const others = gestalts.data?.filter((g) => !g.own) ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Contacts</h1>
      <Card id="me" title="This browser">
        <NodeIdCard nodeId={keynode.nodeId} />
      </Card>
      <TrustForm keynode={keynode} onDone={() => void gestalts.reload()} />
      <Card id="people" title="People you trust">
        <ErrorNote error={gestalts.error} />
        {gestalts.data !== undefined && others.length === 0 && <p class="muted">Nobody yet. Trust someone’s NodeId above to share vaults with them.</p>}
        <ul class="plain contacts">
          {others.map((g) => (
            <ContactCard key={g.nodes.join()} keynode={keynode} gestalt={g} onChange={() => void gestalts.reload()} />
          ))}
        </ul>
      </Card>
      <LinkBrowsers keynode={keynode} own={own} onDone={() => void gestalts.reload()} />
      <Discover keynode={keynode} onDone={() => void gestalts.reload()} />
    </>
  );
}

function TrustForm({ keynode, onDone }: { keynode: Keynode; onDone: () => void }) {
  const [nodeId, setNodeId] = useState('');
  const [name, setName] = useState('');
  const trust = useAction(async () => {
    const n = nodeId.trim();
    await keynode.gestalts.trust(n);
    await setNickname(n, name);
    setNodeId('');
    setName('');
    onDone();
  });
  return (
    <Card id="trust" title="Trust a keynode">
      <p class="muted">Trusting someone lets their notifications (shared vaults, messages) reach you, and lets you share vaults with them.</p>
      <ActionForm action={trust} ready={isNodeId(nodeId.trim())} label="Trust">
        <NodeIdInput label="Their NodeId" value={nodeId} onInput={setNodeId} />
        <label>
          Name (optional, only kept in this browser)
          <input autocomplete="off" value={name} placeholder="e.g. Alice (laptop)" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
      </ActionForm>
    </Card>
  );
}

function ContactCard({ keynode, gestalt, onChange }: { keynode: Keynode; gestalt: Gestalt; onChange: () => void }) {
  const names = useNicknames();
  const [editing, setEditing] = useState<string | undefined>(undefined);
  // A gestalt's members come in no fixed order: name the card after the member the user named.
  const main = gestalt.nodes.find((n) => names[n] !== undefined) ?? gestalt.nodes[0]!;
  const label = displayName(names, main);
  const untrust = useAction(async () => {
    for (const n of gestalt.nodes) await keynode.gestalts.untrust(n);
    onChange();
  });
  const discover = useAction(async () => {
    await keynode.gestalts.discover(main);
    onChange();
  });
  return (
    <li class="contact" data-testid="contact">
      <div class="row spread">
        <h3>{label}</h3>
        <div class="row">
          <button type="button" aria-label={`Rename ${label}`} onClick={() => setEditing(names[main] ?? '')}>
            Rename
          </button>
          <button type="button" aria-label={`Find other browsers of ${label}`} disabled={discover.busy} onClick={() => void discover.run()}>
            {discover.busy ? 'Looking…' : 'Find other browsers'}
          </button>
          <ConfirmButton
            label="Remove"
            ariaLabel={`Remove ${label}`}
            title={`Stop trusting ${label}?`}
            confirmLabel="Stop trusting"
            danger
            onConfirm={() => untrust.run()}
          >
            <p>Their notifications will no longer reach you, and vaults you share with them are unshared.</p>
          </ConfirmButton>
        </div>
      </div>
      {editing !== undefined && (
        <form
          class="row"
          onSubmit={submitting(() => {
            void setNickname(main, editing).catch(() => undefined);
            setEditing(undefined);
          })}
        >
          <label class="grow">
            Name for {label}
            <input autocomplete="off" value={editing} onInput={(e) => setEditing((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="primary">
            Save
          </button>
        </form>
      )}
      {gestalt.nodes.length > 1 && <p class="small">The same person on {gestalt.nodes.length} linked browsers:</p>}
      <ul class="plain">
        {gestalt.nodes.map((n) => (
          <li key={n}>
            <p class="mono small nodeid">{n}</p>
            <p class="small">
              Safety number:{' '}
              <span class="mono safety" data-testid="safety-number">
                {safetyNumber(keynode.nodeId, n)}
              </span>
            </p>
          </li>
        ))}
      </ul>
      <p class="muted small">
        Compare the safety number with {label} in person or on a call: if both screens show the same digits, you have each other’s real NodeId.
        {gestalt.actions.includes('notify') ? '' : ' They cannot send you notifications.'}
      </p>
      <ErrorNote error={untrust.error ?? discover.error} />
    </li>
  );
}

function LinkBrowsers({ keynode, own, onDone }: { keynode: Keynode; own: Gestalt | undefined; onDone: () => void }) {
  const [invitee, setInvitee] = useState('');
  const [inviter, setInviter] = useState('');
  const [done, setDone] = useState<string | undefined>(undefined);
  const names = useNicknames();
  const invite = useAction(async () => {
    await keynode.gestalts.invite(invitee.trim());
    setDone('Invitation sent. Now, on the other browser, paste this browser’s NodeId under “Accept a link” and press Link.');
    setInvitee('');
  });
  const claim = useAction(async () => {
    await keynode.gestalts.claim(inviter.trim());
    setDone('Linked: both browsers now belong to the same person, and share one set of permissions.');
    setInviter('');
    onDone();
  });
  const [removedNote, setRemovedNote] = useState<string | undefined>(undefined);
  const remove = useAction(async (nodeId: string) => {
    await keynode.gestalts.unlink(nodeId);
    setRemovedNote(
      `Removed ${displayName(names, nodeId)} from your devices. People who share vaults with you cut it off when they next look for your browsers: ask them to press “Find other browsers” on your card.`,
    );
    onDone();
  });
  const linked = own?.nodes.filter((n) => n !== keynode.nodeId) ?? [];
  return (
    <Card id="link" title="Link your other browsers">
      <p class="muted">
        If you use keynode on two browsers (say a laptop and a phone), link them: whatever is shared with one is shared with both. Show a pairing code on the
        new browser and scan it with this one, or take the two steps below; both browsers must be online.
      </p>
      {linked.length > 0 && (
        <div>
          <p>Linked with this browser:</p>
          <ul class="plain">
            {linked.map((n) => (
              <li key={n} class="row spread" data-testid="linked-browser">
                <span class="mono small">{displayName(names, n)}</span>
                <ConfirmButton
                  label="Remove from my devices"
                  ariaLabel={`Remove ${displayName(names, n)} from my devices`}
                  title="Remove this browser from my devices?"
                  confirmLabel="Remove it"
                  danger
                  disabled={remove.busy}
                  onConfirm={() => remove.run(n)}
                >
                  <p>
                    <span class="mono">{displayName(names, n)}</span> will no longer be one of your browsers. Use this for a browser you lost, or one you no
                    longer use.
                  </p>
                  <ul>
                    <li>It can no longer clone or pull the vaults people share with you, once they look for your browsers again.</li>
                    <li>This browser and your other browsers keep everything.</li>
                    <li>What it already copied stays on it: change those secrets if it was stolen.</li>
                    <li>Linking it again takes an invite and a link, as the first time.</li>
                  </ul>
                </ConfirmButton>
              </li>
            ))}
          </ul>
        </div>
      )}
      <ErrorNote error={remove.error} />
      <Pair keynode={keynode} onLinked={onDone} />
      {removedNote !== undefined && (
        <p class="ok" role="status" data-testid="removed-note">
          {removedNote}
        </p>
      )}
      <ActionForm action={invite} ready={isNodeId(invitee.trim())} label="Invite">
        <h3>Step 1, on this browser: invite the other one</h3>
        <NodeIdInput
          label="NodeId of your other browser"
          hint="Open keynode on the other browser: its NodeId is under Contacts → This browser."
          value={invitee}
          onInput={setInvitee}
        />
      </ActionForm>
      <ActionForm action={claim} ready={isNodeId(inviter.trim())} label="Link">
        <h3>Step 2, on the invited browser: accept a link</h3>
        <NodeIdInput
          label="NodeId of the browser that invited this one"
          hint="Copy it from the inviting browser: Contacts → This browser."
          value={inviter}
          onInput={setInviter}
        />
      </ActionForm>
      {done !== undefined && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
    </Card>
  );
}

/**
 * Linking with one scan: the keynode to be linked shows a pairing code, the one already in use scans
 * it and says yes (components/Pairing, loaded when either is opened).
 */
function Pair({ keynode, onLinked }: { keynode: Keynode; onLinked: () => void }) {
  const [open, setOpen] = useState<'show' | 'scan' | undefined>(undefined);
  const { module, error } = useLazy(() => import('../components/Pairing/index.js'), open !== undefined);
  const close = (): void => setOpen(undefined);
  if (open === undefined) {
    return (
      <div class="stack">
        <h3>Link with one scan</h3>
        <div class="row">
          <button type="button" class="primary" onClick={() => setOpen('show')}>
            Show a pairing code
          </button>
          <button type="button" onClick={() => setOpen('scan')}>
            Scan a pairing code
          </button>
        </div>
        <p class="hint">Show the code on the browser to be linked, and scan it with the browser you already use. Or link in two steps below.</p>
      </div>
    );
  }
  if (module === undefined) return <ErrorNote error={error} />;
  return open === 'show' ? (
    <module.ShowPairingCode keynode={keynode} onClose={close} onLinked={onLinked} />
  ) : (
    <module.PairWithCode keynode={keynode} onClose={close} onLinked={onLinked} />
  );
}

function Discover({ keynode, onDone }: { keynode: Keynode; onDone: () => void }) {
  const [nodeId, setNodeId] = useState('');
  const [found, setFound] = useState<string[] | undefined>(undefined);
  const names = useNicknames();
  const discover = useAction(async () => {
    const n = nodeId.trim();
    await keynode.gestalts.discover(n);
    setFound((await keynode.gestalts.get(n)).nodes);
    onDone();
  });
  return (
    <Card id="discover" title="Discover a keynode’s linked browsers">
      <p class="muted">Asks a keynode for its signed list of linked browsers, checks every signature, and adds what it proves.</p>
      <ActionForm action={discover} ready={isNodeId(nodeId.trim())} label="Discover" busyLabel="Discovering…">
        <NodeIdInput label="NodeId to discover" hint="Any keynode you know; it must be online." value={nodeId} onInput={setNodeId} />
      </ActionForm>
      {found !== undefined && (
        <div role="status">
          <p>{found.length === 1 ? 'This keynode has no linked browsers.' : `${found.length} linked browsers:`}</p>
          {found.length > 1 && (
            <ul>
              {found.map((n) => (
                <li key={n} class="mono small">
                  {displayName(names, n)}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Card>
  );
}
