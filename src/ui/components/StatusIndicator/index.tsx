// Online state at a glance, in the header: offline (no network), signaling unreachable, or online
// with the number of keynodes connected. Local vaults work in every state, and the title says so.
import { useEffect, useState } from 'preact/hooks';
import type { Keynode } from '../../../keynode/keynode.js';
import { listen } from '../../listen.js';

type Status = { signaling: 'connected' | 'connecting' | 'offline'; peers: string[] };

export function useNetworkStatus(keynode: Keynode): { status: Status | undefined; online: boolean } {
  const [status, setStatus] = useState<Status | undefined>(undefined);
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    let live = true;
    keynode.network.status().then(
      (s) => live && setStatus(s),
      () => undefined,
    );
    const off = keynode.on('network', (s) => setStatus(s));
    const unlisten = listen(['online', 'offline'], () => setOnline(navigator.onLine));
    return () => {
      live = false;
      off();
      unlisten();
    };
  }, [keynode]);
  return { status, online };
}

export function StatusIndicator({ keynode }: { keynode: Keynode }) {
  const { status, online } = useNetworkStatus(keynode);
  let text: string;
  let tone: 'ok' | 'warn' | 'off';
  // The signaling connection is the truth when it is up: navigator.onLine only guesses from the
  // network interfaces (a loopback-only machine reports "offline" while keynodes talk fine).
  if (status?.signaling === 'connected') {
    const n = status.peers.length;
    [text, tone] = [n === 0 ? 'Online' : `Online · ${n} ${n === 1 ? 'peer' : 'peers'}`, 'ok'];
  } else if (!online) [text, tone] = ['Offline', 'off'];
  else if (status === undefined || status.signaling === 'connecting') [text, tone] = ['Connecting…', 'warn'];
  else [text, tone] = ['Not connected', 'off'];
  return (
    <p
      class={`status status-${tone}`}
      role="status"
      data-testid="network-status"
      title="Your vaults work offline; sharing, cloning and pulling need a connection."
    >
      <span class="dot" aria-hidden="true" />
      {text}
    </p>
  );
}
