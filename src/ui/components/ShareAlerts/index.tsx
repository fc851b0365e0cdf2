// A vault shared while keynode's tab is in the background: a system notification (the Notification
// API), so the person hears of it. Permission is asked only after a share has arrived, from a
// button in this banner — never on load, when nobody knows yet why keynode would want it. "Not now"
// is remembered in this browser. Each tab hears the event; one notification per share shows, since
// they all carry the same tag.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { displayName, useNicknames } from '../../contacts-store.js';
import { navigate } from '../../router.js';

const DECLINED = 'keynode:share-alerts-declined';

const supported = (): boolean => typeof Notification === 'function';

export function ShareAlerts({ keynode }: { keynode: Keynode }) {
  const names = useNicknames();
  const [offer, setOffer] = useState(false);
  useEffect(
    () =>
      keynode.on('notification', ({ kind, item }) => {
        if (kind !== 'inbox' || item.data.type !== 'VaultShare' || !supported()) return;
        if (Notification.permission === 'default' && localStorage.getItem(DECLINED) === null) setOffer(true);
        if (Notification.permission !== 'granted' || document.visibilityState === 'visible') return;
        const shown = new Notification(`${displayName(names, item.from)} shared “${item.data.vaultName}”`, {
          body: 'Open keynode to clone it.',
          tag: `keynode-share-${item.id}`,
        });
        shown.onclick = () => {
          window.focus();
          navigate('/notifications');
          shown.close();
        };
      }),
    [keynode, names],
  );
  if (!offer) return null;
  return (
    <section class="banner banner-info" aria-labelledby="share-alerts" data-testid="share-alerts">
      <h2 id="share-alerts">Hear about shares while keynode is in the background?</h2>
      <p>Someone just shared a vault with you. keynode can show a system notification when that happens while this tab is hidden.</p>
      <div class="row">
        <button
          type="button"
          class="primary"
          onClick={() => {
            setOffer(false);
            void Notification.requestPermission();
          }}
        >
          Turn on notifications
        </button>
        <button
          type="button"
          onClick={() => {
            setOffer(false);
            localStorage.setItem(DECLINED, '1');
          }}
        >
          Not now
        </button>
      </div>
    </section>
  );
}
