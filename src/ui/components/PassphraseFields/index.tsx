// A new passphrase, typed twice, with a strength hint under the first field. The parent gets the
// passphrase only once both fields match and it is long enough (`onChange(undefined)` otherwise).
import { useId, useState } from 'preact/hooks';
import { strength, strengthWords } from '../../passphrase.js';

export function PassphraseFields({ label = 'New passphrase', onChange }: { label?: string; onChange: (passphrase: string | undefined) => void }) {
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const id = useId();
  const level = strength(first);
  const mismatch = second !== '' && first !== second;
  const update = (a: string, b: string): void => {
    setFirst(a);
    setSecond(b);
    onChange(a === b && strength(a) !== 'too-short' ? a : undefined);
  };
  return (
    <div class="stack">
      <div class="field">
        <label for={`${id}-a`}>{label}</label>
        <input
          id={`${id}-a`}
          type="password"
          autocomplete="new-password"
          aria-describedby={`${id}-hint`}
          value={first}
          onInput={(e) => update((e.target as HTMLInputElement).value, second)}
        />
        <p id={`${id}-hint`} class={first === '' ? 'hint' : `hint strength strength-${level}`} aria-live="polite" data-testid="passphrase-strength">
          {first === '' ? 'At least 8 characters. Four or more random words make a strong passphrase you can remember.' : strengthWords[level]}
        </p>
      </div>
      <div class="field">
        <label for={`${id}-b`}>Type it again</label>
        <input
          id={`${id}-b`}
          type="password"
          autocomplete="new-password"
          aria-invalid={mismatch}
          aria-describedby={mismatch ? `${id}-mismatch` : undefined}
          value={second}
          onInput={(e) => update(first, (e.target as HTMLInputElement).value)}
        />
        {mismatch && (
          <p id={`${id}-mismatch`} class="hint bad">
            The two passphrases are not the same.
          </p>
        )}
      </div>
    </div>
  );
}
