// Remote: ask a keynode which vaults it shares with you, and clone any of them.
import { Card } from '../components/Card/index.js';
import { ContactSelect } from '../components/ContactSelect/index.js';
import { useState } from 'preact/hooks';
import { isKeynodeError } from '../../errors.js';
import { isNodeId } from '../../ids/index.js';
import type { Keynode } from '../../keynode/keynode.js';
import type { VaultAction } from '../../types.js';
import { ActionForm } from '../components/ActionForm/index.js';
import { NodeIdInput } from '../components/NodeIdInput/index.js';
import { SharedVaultOffer } from '../components/SharedVaultOffer/index.js';
import { displayName, useNicknames } from '../contacts-store.js';
import { useAction } from '../hooks/useAction.js';
import { useLoad } from '../hooks/useLoad.js';

export function Remote({ keynode }: { keynode: Keynode }) {
  const names = useNicknames();
  const contacts = useLoad(keynode, async () => (await keynode.gestalts.list()).filter((g) => !g.own), []);
  const [choice, setChoice] = useState('');
  const [pasted, setPasted] = useState('');
  const [found, setFound] = useState<{ owner: string; vaults: Array<{ vaultName: string; vaultId: string; actions: VaultAction[] }> } | undefined>(undefined);
  const target = choice !== '' ? choice : pasted.trim();
  const scan = useAction(async () => {
    setFound(undefined);
    try {
      setFound({ owner: target, vaults: await keynode.vaults.scan(target) });
    } catch (e) {
      // The owner refuses to list anything to someone it shares nothing with: say just that.
      if (isKeynodeError(e) && e.code === 'ErrorVaultsPermissionDenied') setFound({ owner: target, vaults: [] });
      else throw e;
    }
  });
  return (
    <>
      <h1 tabIndex={-1}>Vaults shared with you</h1>
      <Card id="scan" title="Look at another keynode">
        <p class="muted">Lists the vaults a keynode shares with you, straight from it. It must be online.</p>
        <ActionForm
          action={scan}
          ready={isNodeId(target)}
          label="Show shared vaults"
          busyLabel="Asking…"
          row
          more={scan.busy && <span class="spinner" role="status" aria-label="Asking the other keynode" />}
        >
          <ContactSelect label="Contact" contacts={contacts.data} value={choice} onChange={setChoice} />
          {choice === '' && <NodeIdInput label="NodeId" value={pasted} onInput={setPasted} />}
        </ActionForm>
      </Card>
      {found !== undefined && (
        <Card id="found" title={`Shared by ${displayName(names, found.owner)}`}>
          {found.vaults.length === 0 ? (
            <p class="muted">This keynode shares no vaults with you.</p>
          ) : (
            <ul class="plain notes">
              {found.vaults.map((v) => (
                <li key={v.vaultId} class="note">
                  <p>
                    <strong>{v.vaultName}</strong> <span class="muted small">you can {v.actions.join(' and ')}</span>
                  </p>
                  <SharedVaultOffer keynode={keynode} owner={found.owner} vaultId={v.vaultId} vaultName={v.vaultName} />
                </li>
              ))}
            </ul>
          )}
        </Card>
      )}
    </>
  );
}
