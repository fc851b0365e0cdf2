// Pairing a person's keynodes with one scan (docs/gestalts.md, "Pairing"). ShowPairingCode runs on
// the keynode to be linked: it shows a signed code as a QR code until another keynode takes it, then
// says which keynode that was, with Unlink right there. PairWithCode runs on the keynode the person
// already uses: it reads the code (camera or paste), checks it here before anything is offered, and
// asks before linking — the scanning device is the one that consents. Loaded only when opened.
import { useEffect, useId, useState } from 'preact/hooks';
import { looksLikePairingCode, verifyPairingCode, type PairingOffer } from '../../../gestalts/pairing-code.js';
import type { Keynode } from '../../../keynode/keynode.js';
import type { PairingStatus } from '../../../types.js';
import { displayName, useNicknames } from '../../contacts-store.js';
import { useAction } from '../../hooks/useAction.js';
import { useLoad } from '../../hooks/useLoad.js';
import { safetyNumber } from '../../safety-number.js';
import { ConfirmButton } from '../ConfirmButton/index.js';
import { CopyButton } from '../CopyButton/index.js';
import { ErrorNote } from '../ErrorNote/index.js';
import { Qr } from '../Qr/index.js';
import { ScanButton } from '../QrScan/index.js';

const clockTime = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Re-renders when `at` (ms since 1970) has passed, so an expiry shows without a reload. */
function useAfter(at: number | undefined): boolean {
  const [passed, setPassed] = useState(false);
  useEffect(() => {
    setPassed(false);
    if (at === undefined) return;
    const timer = setTimeout(() => setPassed(true), Math.max(0, at - Date.now()));
    return () => clearTimeout(timer);
  }, [at]);
  return passed;
}

export function ShowPairingCode({ keynode, onClose, onLinked }: { keynode: Keynode; onClose: () => void; onLinked: () => void }) {
  const names = useNicknames();
  const [shown, setShown] = useState<{ code: string; expiresAt: number } | undefined>(undefined);
  const make = useAction(async () => setShown(await keynode.gestalts.pairingCode()));
  // Asked only once a code exists, so a status from before it is never taken for this code's.
  const status = useLoad<PairingStatus | undefined>(
    keynode,
    async () => (shown === undefined ? undefined : keynode.gestalts.pairingStatus()),
    [shown?.code],
    ['contacts', 'notification'],
  );
  const expired = useAfter(shown?.expiresAt);
  const [unlinked, setUnlinked] = useState<string | undefined>(undefined);
  const unlink = useAction(async (nodeId: string) => {
    await keynode.gestalts.unlink(nodeId);
    setUnlinked(nodeId);
    onLinked();
  });
  const s = status.data;

  useEffect(() => {
    void make.run();
    // Closing the screen takes the code back: nobody should link with it after that.
    return () => void keynode.gestalts.cancelPairing().catch(() => undefined);
  }, []);
  useEffect(() => {
    if (s?.state === 'linked') onLinked();
  }, [s?.state]);

  let body;
  if (unlinked !== undefined) {
    body = (
      <p class="ok" role="status">
        Unlinked {displayName(names, unlinked)}: it is no longer one of your keynodes.
      </p>
    );
  } else if (s?.state === 'linking' || s?.state === 'linked') {
    const other = displayName(names, s.nodeId);
    body = (
      <div class="stack" role="status" data-testid="pairing-result">
        {s.state === 'linking' ? (
          <p>Linking with {other}…</p>
        ) : (
          <p class="ok">
            Linked with <span data-testid="paired-with">{other}</span>
          </p>
        )}
        <OtherKeynode mine={keynode.nodeId} other={s.nodeId} />
        <p class="muted small">
          Your other keynode shows the same safety number. If it does not, or you did not scan this code yourself, someone else did: unlink now.
        </p>
        {s.state === 'linked' && (
          <div>
            <ConfirmButton
              label="Unlink"
              ariaLabel={`Unlink ${other}`}
              title={`Unlink ${other}?`}
              confirmLabel="Unlink"
              danger
              disabled={unlink.busy}
              onConfirm={() => unlink.run(s.nodeId)}
            >
              <p>
                <span class="mono">{other}</span> will no longer be one of your keynodes. Keynodes that share vaults with you stop counting it once they look
                for your browsers again.
              </p>
            </ConfirmButton>
          </div>
        )}
      </div>
    );
  } else if (s?.state === 'failed') {
    body = (
      <div class="stack">
        <p>
          {displayName(names, s.nodeId)} scanned this code, but linking failed: {s.error.message} Its invitation is under Notifications, to link from there.
        </p>
      </div>
    );
  } else if (shown !== undefined && !expired && s?.state === 'waiting' && s.expiresAt === shown.expiresAt) {
    body = (
      <div class="stack">
        <p>
          On the keynode you already use, open <strong>Contacts → Link your other browsers → Scan a pairing code</strong>, and scan this code. It works once,
          until {clockTime(shown.expiresAt)}.
        </p>
        <Qr text={shown.code} label="Pairing code QR" />
        <p class="mono small nodeid" data-testid="pairing-code">
          {shown.code}
        </p>
        <CopyButton text={shown.code} label="Copy the pairing code" />
        <p class="muted small">
          Whoever scans this code can ask to link with this keynode, and it says yes once. Show it only to your own keynode; this screen then names the keynode
          that took it.
        </p>
      </div>
    );
  } else if (shown !== undefined && (expired || s !== undefined)) {
    // Not this code's 'waiting': expired; replaced by a code another tab asked for; or forgotten
    // ('none') because the keynode restarted (a browser may stop an idle service worker).
    body = (
      <div class="stack">
        <p>{expired || s?.state === 'expired' ? 'This pairing code has expired.' : 'This pairing code is no longer valid.'}</p>
        <div>
          <button type="button" class="primary" disabled={make.busy} onClick={() => void make.run()}>
            Show a new code
          </button>
        </div>
      </div>
    );
  }

  return (
    <div class="pairing" role="region" aria-label="Pair with my other keynode">
      <h3>Pair with my other keynode</h3>
      {body}
      <ErrorNote error={make.error ?? status.error ?? unlink.error} />
      <CloseButton onClose={onClose} />
    </div>
  );
}

type Checked = { offer: PairingOffer; code: string } | { problem: unknown } | undefined;

export function PairWithCode({ keynode, onClose, onLinked }: { keynode: Keynode; onClose: () => void; onLinked: () => void }) {
  const id = useId();
  const names = useNicknames();
  const [text, setText] = useState('');
  const [checked, setChecked] = useState<Checked>(undefined);
  const [sent, setSent] = useState<string | undefined>(undefined);
  const own = useLoad(keynode, () => keynode.gestalts.get(keynode.nodeId), [], ['contacts', 'notification']);
  const pair = useAction(async (code: string) => setSent((await keynode.gestalts.pair(code)).nodeId));
  const linked = sent !== undefined && own.data?.nodes.includes(sent) === true;

  // The code is checked here first (signature, expiry), so only a genuine code is offered to link.
  useEffect(() => {
    const code = text.trim();
    if (code === '') return setChecked(undefined);
    let live = true;
    verifyPairingCode(code, Date.now()).then(
      (offer) => live && setChecked({ offer, code }),
      (problem: unknown) => live && setChecked({ problem }),
    );
    return () => {
      live = false;
    };
  }, [text]);
  useEffect(() => {
    if (linked) onLinked();
  }, [linked]);

  if (sent !== undefined) {
    const other = displayName(names, sent);
    return (
      <div class="pairing stack" role="status" data-testid="pairing-result">
        {linked ? (
          <p class="ok">
            Linked with <span data-testid="paired-with">{other}</span>
          </p>
        ) : (
          <p>Invitation sent. {other} links itself as soon as it receives it: keep keynode open on both devices.</p>
        )}
        <p class="small">
          Safety number: <span class="mono safety">{safetyNumber(keynode.nodeId, sent)}</span> — the other keynode shows the same.
        </p>
        <CloseButton onClose={onClose} />
      </div>
    );
  }

  const offer = checked !== undefined && 'offer' in checked ? checked.offer : undefined;
  return (
    <div class="pairing stack" role="region" aria-label="Scan a pairing code">
      <h3>Scan the pairing code of your other keynode</h3>
      <p class="muted small">
        On the keynode to be linked, open Contacts → Link your other browsers → Show a pairing code. Then scan it here, or copy it over and paste it.
      </p>
      <div class="field">
        <label for={id}>Pairing code</label>
        <input
          id={id}
          class="mono"
          value={text}
          autocomplete="off"
          spellcheck={false}
          placeholder="keynode-pair:1:…"
          maxLength={1000}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
      </div>
      <div>
        <ScanButton
          label="Scan with the camera"
          what="pairing code"
          check={(t) => (looksLikePairingCode(t) ? undefined : 'This QR code is not a pairing code. On the other keynode, choose “Show a pairing code”.')}
          onText={setText}
        />
      </div>
      {checked !== undefined && 'problem' in checked && <ErrorNote error={checked.problem} />}
      {offer !== undefined && checked !== undefined && 'code' in checked && (
        <div class="stack" data-testid="pairing-offer">
          <p>
            <strong>Link {displayName(names, offer.nodeId)} to your keynodes?</strong> It becomes one of your devices: whatever is shared with you is shared
            with it.
          </p>
          <OtherKeynode mine={keynode.nodeId} other={offer.nodeId} />
          <div class="row">
            <button type="button" class="primary" disabled={pair.busy} onClick={() => void pair.run(checked.code)}>
              Link
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorNote error={pair.error} />
      {offer === undefined && <CloseButton onClose={onClose} />}
    </div>
  );
}

/** The other keynode's NodeId and the safety number both screens show, to compare. */
function OtherKeynode({ mine, other }: { mine: string; other: string }) {
  return (
    <>
      <p class="mono small nodeid">{other}</p>
      <p class="small">
        Safety number: <span class="mono safety">{safetyNumber(mine, other)}</span>
      </p>
    </>
  );
}

/** Leaves a pairing screen (on its own line, so the button keeps its size). */
function CloseButton({ onClose }: { onClose: () => void }) {
  return (
    <div>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </div>
  );
}
