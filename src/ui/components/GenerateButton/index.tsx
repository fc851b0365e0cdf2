// "Generate…" under a secret's value: opens the password generator, whose code (and word list use)
// loads the first time it is opened; "Use this" puts the result into the value field.
import { useState } from 'preact/hooks';
import { useLazy } from '../../hooks/useLazy.js';
import { ErrorNote } from '../ErrorNote/index.js';

export function GenerateButton({ onUse }: { onUse: (value: string) => void }) {
  const [open, setOpen] = useState(false);
  const { module, error } = useLazy(() => import('../Generator/index.js'), open);
  return (
    <div class="stack">
      <div>
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Close the generator' : 'Generate a password…'}
        </button>
      </div>
      {open &&
        (module !== undefined ? (
          <module.Generator
            onUse={(value) => {
              onUse(value);
              setOpen(false);
            }}
          />
        ) : error !== undefined ? (
          <ErrorNote error={error} />
        ) : (
          <p class="muted">Loading the generator…</p>
        ))}
    </div>
  );
}
