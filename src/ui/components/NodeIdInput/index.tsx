// A NodeId field that says, as the user types, whether what is there is a whole, valid NodeId; or
// fills itself from the other person's NodeId QR code, read with the camera.
import { useId } from 'preact/hooks';
import { isNodeId } from '../../../ids/index.js';
import { ScanButton } from '../QrScan/index.js';

export const nodeIdProblem = (text: string): string | undefined => {
  const t = text.trim();
  if (t === '') return undefined;
  if (!t.startsWith('v')) return 'A NodeId starts with "v".';
  if (t.length < 53) return `Too short: ${t.length} of 53 characters. Copy the whole NodeId.`;
  if (t.length > 53) return `Too long: ${t.length} of 53 characters.`;
  return isNodeId(t) ? undefined : 'This is not a valid NodeId. Copy it again.';
};

export function NodeIdInput({ value, onInput, label, hint }: { value: string; onInput: (v: string) => void; label: string; hint?: string }) {
  const id = useId();
  const problem = nodeIdProblem(value);
  const ok = value.trim() !== '' && problem === undefined;
  const notNodeId = (text: string): string | undefined =>
    isNodeId(text.trim())
      ? undefined
      : /^https?:\/\//.test(text)
        ? 'This QR code is a link, not a NodeId. Scan the code under “Your NodeId”.'
        : 'This QR code is not a NodeId.';
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        class="mono"
        value={value}
        autocomplete="off"
        spellcheck={false}
        placeholder="v… (53 characters)"
        aria-invalid={problem !== undefined}
        aria-describedby={`${id}-hint`}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
      <p id={`${id}-hint`} class={problem !== undefined ? 'hint bad' : 'hint'} aria-live="polite">
        {problem ?? (ok ? 'Valid NodeId.' : (hint ?? 'Paste the other person’s NodeId, or scan its QR code from their screen.'))}
      </p>
      <ScanButton label="Scan a QR code" what="NodeId" check={notNodeId} onText={onInput} />
    </div>
  );
}
