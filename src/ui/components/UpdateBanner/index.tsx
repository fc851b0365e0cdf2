// "A new version is ready": shown only when the platform says one is waiting, and applied only when
// the user agrees — a secrets app never swaps itself mid-session.
import { useEffect, useState } from 'preact/hooks';
import type { PwaControls } from '../../types.js';

export function UpdateBanner({ pwa }: { pwa: PwaControls | undefined }) {
  const [ready, setReady] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  useEffect(() => pwa?.onUpdateReady?.(() => setReady(true)), [pwa]);
  if (!ready || dismissed || pwa?.applyUpdate === undefined) return null;
  return (
    <div class="banner banner-info" role="region" aria-label="Update available">
      <p>A new version of keynode is ready. Updating reloads the page; your vaults stay as they are.</p>
      <div class="row">
        <button type="button" class="primary" onClick={() => void pwa.applyUpdate?.()}>
          Update now
        </button>
        <button type="button" onClick={() => setDismissed(true)}>
          Later
        </button>
      </div>
    </div>
  );
}
