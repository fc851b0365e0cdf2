// The lock screen: the passphrase unlocks this keynode; "Forgot it?" unlocks with the recovery code
// and sets a new passphrase. A keynode stored unencrypted by an earlier version gets its first
// passphrase here (and, when its key can only be re-wrapped with it, the recovery code).
import { useEffect, useId, useState } from 'preact/hooks';
import { isKeynodeError } from '../../errors.js';
import type { Keynode } from '../../keynode/keynode.js';
import type { LockState } from '../../keynode/lock.js';
import { Card } from '../components/Card/index.js';
import { ActionForm } from '../components/ActionForm/index.js';
import { PassphraseFields } from '../components/PassphraseFields/index.js';
import { useAction } from '../hooks/useAction.js';

/** Seconds left before another try is taken, counting down (after several wrong passphrases). */
function useCountdown(ms: number | undefined): number {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (ms !== undefined && ms > 0) setUntil(Date.now() + ms);
  }, [ms]);
  useEffect(() => {
    if (until <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), 250);
    return () => clearTimeout(timer);
  }, [until, now]);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

export function RecoveryCodeField({ value, onInput }: { value: string; onInput: (code: string) => void }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>Recovery code (24 words, separated by spaces)</label>
      <textarea
        id={id}
        rows={3}
        class="mono"
        autocomplete="off"
        spellcheck={false}
        value={value}
        onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
      />
      <p class="hint" aria-live="polite">
        {wordCount(value)} of 24 words
      </p>
    </div>
  );
}

export const normaliseCode = (code: string): string => code.trim().toLowerCase().split(/\s+/).join(' ');
export const wordCount = (code: string): number => (code.trim() === '' ? 0 : code.trim().split(/\s+/).length);

/** Unlock with the recovery code and choose a new passphrase (also how an old store is encrypted). */
function WithRecoveryCode({ keynode, onCancel, submitLabel }: { keynode: Keynode; onCancel?: () => void; submitLabel: string }) {
  const [code, setCode] = useState('');
  const [next, setNext] = useState<string | undefined>(undefined);
  const act = useAction(() => keynode.unlockWithRecoveryCode(normaliseCode(code), next!));
  return (
    <ActionForm
      action={act}
      ready={wordCount(code) === 24 && next !== undefined}
      label={submitLabel}
      busyLabel="Unlocking…"
      row
      more={
        onCancel !== undefined && (
          <button type="button" onClick={onCancel}>
            Back
          </button>
        )
      }
    >
      <RecoveryCodeField value={code} onInput={setCode} />
      <PassphraseFields onChange={setNext} />
    </ActionForm>
  );
}

export function LockScreen({ keynode, state }: { keynode: Keynode; state: LockState }) {
  if (!state.encrypted) return <Protect keynode={keynode} state={state} />;
  return <Unlock keynode={keynode} state={state} />;
}

function Unlock({ keynode, state }: { keynode: Keynode; state: LockState }) {
  const [passphrase, setPassphrase] = useState('');
  const [forgot, setForgot] = useState(false);
  const [wait, setWait] = useState<number | undefined>(state.retryAfterMs);
  const id = useId();
  const act = useAction(async () => {
    try {
      await keynode.unlock(passphrase);
    } catch (e) {
      setPassphrase('');
      const retry = isKeynodeError(e) ? (e.data?.retryAfterMs as number | undefined) : undefined;
      setWait(retry ?? (await keynode.lockState()).retryAfterMs);
      throw e;
    }
  });
  const seconds = useCountdown(wait);
  return (
    <>
      <h1 tabIndex={-1}>keynode is locked</h1>
      <Card id="unlock" title="Unlock">
        {forgot ? (
          <>
            <p>Enter the 24-word recovery code you wrote down when this keynode was created, and choose a new passphrase. Your old passphrase stops working.</p>
            <WithRecoveryCode keynode={keynode} submitLabel="Unlock and set the new passphrase" onCancel={() => setForgot(false)} />
          </>
        ) : (
          <ActionForm
            action={act}
            ready={passphrase !== '' && seconds === 0}
            label="Unlock"
            busyLabel="Unlocking…"
            row
            more={
              <button type="button" class="linkish" onClick={() => setForgot(true)}>
                Forgot it? Use the recovery code
              </button>
            }
          >
            <p>Everything this keynode keeps is encrypted. Enter your passphrase to open it.</p>
            <div class="field">
              <label for={id}>Passphrase</label>
              <input
                id={id}
                type="password"
                autocomplete="current-password"
                autofocus
                value={passphrase}
                onInput={(e) => setPassphrase((e.target as HTMLInputElement).value)}
              />
            </div>
            {seconds > 0 && (
              <p class="hint" role="status">
                Too many wrong passphrases: you can try again in {seconds} s.
              </p>
            )}
          </ActionForm>
        )}
      </Card>
    </>
  );
}

/** A store an earlier version kept unencrypted: choose the passphrase that encrypts it now. */
function Protect({ keynode, state }: { keynode: Keynode; state: LockState }) {
  const [next, setNext] = useState<string | undefined>(undefined);
  const act = useAction(() => keynode.unlock(next!));
  return (
    <>
      <h1 tabIndex={-1}>Protect this keynode with a passphrase</h1>
      <Card id="protect" title="Encrypt what this browser keeps">
        <p>
          An earlier version of keynode stored this keynode’s vaults, contacts and key unencrypted. Choose a passphrase: keynode encrypts everything with it now
          (nothing is lost if the tab closes half-way; it carries on next time) and asks for it whenever the keynode is locked.
        </p>
        {state.needsRecoveryCode ? (
          <>
            <p>This browser keeps the keynode’s key in a form only the recovery code can re-encrypt: enter it too.</p>
            <WithRecoveryCode keynode={keynode} submitLabel="Encrypt and unlock" />
          </>
        ) : (
          <ActionForm action={act} ready={next !== undefined} label="Encrypt and unlock" busyLabel="Encrypting…">
            <PassphraseFields onChange={setNext} />
          </ActionForm>
        )}
      </Card>
    </>
  );
}
