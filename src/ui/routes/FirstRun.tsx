// First run: the passphrase that encrypts everything (Welcome), then this browser's new keynode —
// its NodeId, and the recovery code shown this once, which the user proves they wrote down by typing
// two of its words back (FirstRun). Or: restore an existing keynode from its recovery code.
import { useMemo, useState } from 'preact/hooks';
import type { Keynode } from '../../keynode/keynode.js';
import { Card } from '../components/Card/index.js';
import { ActionForm } from '../components/ActionForm/index.js';
import { NodeIdCard } from '../components/NodeIdCard/index.js';
import { useAction } from '../hooks/useAction.js';
import { PassphraseFields } from '../components/PassphraseFields/index.js';
import { normaliseCode, RecoveryCodeField, wordCount } from './Lock.js';

/** Settings: replace this keynode with the one a recovery code belongs to, under a new passphrase. */
export function RestoreForm({ onRestore }: { onRestore: (code: string, passphrase: string) => Promise<void> }) {
  const [code, setCode] = useState('');
  const [passphrase, setPassphrase] = useState<string | undefined>(undefined);
  const restore = useAction(() => onRestore(normaliseCode(code), passphrase!));
  return (
    <ActionForm action={restore} ready={wordCount(code) === 24 && passphrase !== undefined} label="Restore this keynode" busyLabel="Restoring…">
      <RecoveryCodeField value={code} onInput={setCode} />
      <PassphraseFields label="Passphrase for the restored keynode" onChange={setPassphrase} />
    </ActionForm>
  );
}

/**
 * First run, before the keynode exists: the passphrase that will encrypt everything it keeps, then
 * the keynode is made. Or: an existing keynode restored from its recovery code, with a passphrase.
 */
export function Welcome({ keynode, onCreated }: { keynode: Keynode; onCreated: () => void }) {
  const [passphrase, setPassphrase] = useState<string | undefined>(undefined);
  const [restoring, setRestoring] = useState(false);
  const [code, setCode] = useState('');
  const create = useAction(async () => {
    await keynode.unlock(passphrase!);
    onCreated();
  });
  const restore = useAction(async () => {
    await keynode.unlockWithRecoveryCode(normaliseCode(code), passphrase!);
    onCreated();
  });
  const act = restoring ? restore : create;
  return (
    <>
      <h1 tabIndex={-1}>Welcome to keynode</h1>
      <Card id="passphrase" title={restoring ? 'Restore your keynode' : 'Choose a passphrase'}>
        <p>
          keynode encrypts everything it keeps in this browser — your secrets, vault names, contacts and key — with this passphrase. You will type it to unlock
          keynode; nobody, not even keynode, can recover it for you. (The recovery code, shown next, can reset it.)
        </p>
        <ActionForm
          action={act}
          ready={passphrase !== undefined && (!restoring || wordCount(code) === 24)}
          label={restoring ? 'Restore this keynode' : 'Create my keynode'}
          busyLabel={restoring ? 'Restoring…' : 'Creating…'}
          row
          more={
            restoring && (
              <button type="button" onClick={() => setRestoring(false)}>
                Back
              </button>
            )
          }
        >
          {restoring && <RecoveryCodeField value={code} onInput={setCode} />}
          <PassphraseFields label="Passphrase" onChange={setPassphrase} />
        </ActionForm>
      </Card>
      {!restoring && (
        <Card id="restore" title="Already have a keynode?">
          <p>
            Use its recovery code to make this browser that keynode instead of a new one. The code brings back the NodeId others know you by; vaults are not in
            it — clone them again from the people (or your other browsers) that share them.
          </p>
          <button type="button" onClick={() => setRestoring(true)}>
            Restore from a recovery code
          </button>
        </Card>
      )}
    </>
  );
}

export function FirstRun({ keynode, recoveryCode, onDone }: { keynode: Keynode; recoveryCode: string; onDone: () => void }) {
  const words = recoveryCode.split(' ');
  // Two different positions to type back, chosen once.
  const [first, second] = useMemo(() => {
    const a = Math.floor(Math.random() * words.length);
    let b = Math.floor(Math.random() * (words.length - 1));
    if (b >= a) b += 1;
    return a < b ? [a, b] : [b, a];
  }, [words.length]);
  const [typed, setTyped] = useState(['', '']);
  const [tried, setTried] = useState(false);
  const ok = typed[0]!.trim().toLowerCase() === words[first] && typed[1]!.trim().toLowerCase() === words[second];

  return (
    <>
      <h1 tabIndex={-1}>Welcome to keynode</h1>
      <Card id="identity" title="Your keynode is ready">
        <p>This browser now has its own keynode: a private key that never leaves it, and a public NodeId that others use to share vaults with you.</p>
        <NodeIdCard nodeId={keynode.nodeId} />
      </Card>
      <Card id="recovery" title="Write down your recovery code">
        <p>
          These 24 words rebuild this keynode if this browser’s data is lost. <strong>They are shown only now.</strong> Write them on paper and keep them safe:
          anyone with them can act as you.
        </p>
        <ol class="words" data-testid="recovery-code" aria-label="Recovery code">
          {words.map((w, i) => (
            <li key={i}>
              <span class="mono">{w}</span>
            </li>
          ))}
        </ol>
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            setTried(true);
            if (ok) onDone();
          }}
        >
          <p>To check you have it, type two of the words:</p>
          <div class="row">
            <label>
              Word {first + 1}
              <input value={typed[0]} autocomplete="off" spellcheck={false} onInput={(e) => setTyped([(e.target as HTMLInputElement).value, typed[1]!])} />
            </label>
            <label>
              Word {second + 1}
              <input value={typed[1]} autocomplete="off" spellcheck={false} onInput={(e) => setTyped([typed[0]!, (e.target as HTMLInputElement).value])} />
            </label>
          </div>
          {tried && !ok && (
            <p class="error-note" role="alert">
              Those words do not match words {first + 1} and {second + 1}. Look at your copy again; if a word is wrong there, fix it now.
            </p>
          )}
          <div>
            <button type="submit" class="primary">
              I wrote it down — continue
            </button>
          </div>
        </form>
      </Card>
    </>
  );
}
