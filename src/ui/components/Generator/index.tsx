// The password generator (loaded only when opened): a random password of a chosen length and kinds
// of characters, or a passphrase of random words from the BIP-39 English list (2,048 words, 11 bits
// each), with its strength in bits. The choices (never a result) are remembered in this browser.
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { useId, useState } from 'preact/hooks';
import { generatePassphrase, generatePassword, passphraseBits, passwordBits, type Charset } from '../../generate.js';

interface Choices {
  mode: 'password' | 'passphrase';
  length: number;
  sets: Charset[];
  avoidLookAlikes: boolean;
  words: number;
  separator: string;
}

const DEFAULTS: Choices = { mode: 'password', length: 24, sets: ['lower', 'upper', 'digits', 'symbols'], avoidLookAlikes: false, words: 6, separator: '-' };
const STORED = 'keynode:generator';
const SET_LABELS: Array<[Charset, string]> = [
  ['lower', 'Lower case (a–z)'],
  ['upper', 'Upper case (A–Z)'],
  ['digits', 'Digits (0–9)'],
  ['symbols', 'Symbols (!#$%…)'],
];
const SEPARATORS: Array<[string, string]> = [
  ['-', 'Hyphen (-)'],
  [' ', 'Space'],
  ['.', 'Full stop (.)'],
  ['_', 'Underscore (_)'],
];

function loadChoices(): Choices {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(STORED) ?? '{}') as Partial<Choices>) };
  } catch {
    return DEFAULTS;
  }
}

function make(c: Choices): string {
  return c.mode === 'passphrase' ? generatePassphrase(wordlist, c.words, c.separator) : generatePassword(c);
}

const clamp = (n: number, lo: number, hi: number): number => (Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : lo);

/** A whole number from `min` to `max`: what is typed outside that range is brought into it. */
function NumberField({ label, min, max, value, onChange }: { label: string; min: number; max: number; value: number; onChange: (n: number) => void }) {
  return (
    <label class="narrow">
      {label}
      <input type="number" min={min} max={max} value={value} onChange={(e) => onChange(clamp(Number((e.target as HTMLInputElement).value), min, max))} />
    </label>
  );
}

export function Generator({ onUse }: { onUse: (value: string) => void }) {
  const [choices, setChoices] = useState(loadChoices);
  const [value, setValue] = useState(() => make(choices));
  const id = useId();
  const change = (next: Partial<Choices>): void => {
    const merged = { ...choices, ...next };
    if (merged.sets.length === 0) return; // at least one kind of character stays chosen
    setChoices(merged);
    localStorage.setItem(STORED, JSON.stringify(merged));
    setValue(make(merged));
  };
  const bits = Math.floor(choices.mode === 'passphrase' ? passphraseBits(wordlist.length, choices.words) : passwordBits(choices));

  return (
    <div class="card inset generator" data-testid="generator">
      <fieldset class="row">
        <legend>Generate</legend>
        {(['password', 'passphrase'] as const).map((mode) => (
          <label key={mode} class="inline">
            <input type="radio" name={`${id}-mode`} checked={choices.mode === mode} onChange={() => change({ mode })} />
            {mode === 'password' ? 'A password' : 'A passphrase of words'}
          </label>
        ))}
      </fieldset>
      {choices.mode === 'password' ? (
        <>
          <NumberField label="Length" min={8} max={128} value={choices.length} onChange={(length) => change({ length })} />
          <fieldset class="row">
            <legend>Characters</legend>
            {SET_LABELS.map(([set, label]) => (
              <label key={set} class="inline">
                <input
                  type="checkbox"
                  checked={choices.sets.includes(set)}
                  disabled={choices.sets.length === 1 && choices.sets.includes(set)}
                  onChange={(e) => change({ sets: (e.target as HTMLInputElement).checked ? [...choices.sets, set] : choices.sets.filter((s) => s !== set) })}
                />
                {label}
              </label>
            ))}
            <label class="inline">
              <input type="checkbox" checked={choices.avoidLookAlikes} onChange={(e) => change({ avoidLookAlikes: (e.target as HTMLInputElement).checked })} />
              Avoid look-alikes (l 1 I O 0)
            </label>
          </fieldset>
        </>
      ) : (
        <div class="row">
          <NumberField label="Words" min={4} max={12} value={choices.words} onChange={(words) => change({ words })} />
          <label class="narrow">
            Between words
            <select value={choices.separator} onChange={(e) => change({ separator: (e.target as HTMLSelectElement).value })}>
              {SEPARATORS.map(([sep, label]) => (
                <option key={label} value={sep}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <output class="secret-value generated" aria-label="Generated value" data-testid="generated">
        {value}
      </output>
      <p class="hint">
        About {bits} bits of randomness{bits >= 100 ? ' — far beyond guessing.' : bits >= 70 ? ' — strong.' : ' — add length for anything that matters.'}
      </p>
      <div class="row">
        <button type="button" onClick={() => setValue(make(choices))}>
          Another one
        </button>
        <button type="button" class="primary" onClick={() => onUse(value)}>
          Use this
        </button>
      </div>
    </div>
  );
}
