// The messages between the network host tab and the keynode core in the service worker, over the
// MessagePort the host hands the worker when it attaches (docs/design.md §1). The host owns the
// signaling WebSocket and the RTCPeerConnections; the core asks it to log in, dial, store mailbox
// tokens, and the host forwards signaling events and opened channels (each on its own port).
import type { KeynodeErrorJSON } from '../../errors.js';
import type { PeerRole } from '../../network/peer-auth.js';
import type { MailboxItem, SignalingStatus } from '../../network/signaling-client.js';
import { LOGIN_CONTEXT } from '../../../protocol/signaling.js';

/** The Web Lock whose holder is the network host. */
export const HOST_LOCK = 'keynode-network-host';

/** The only bytes the core signs for the host: signaling login challenges. */
export const LOGIN_PREFIX = `${LOGIN_CONTEXT}\n`;

export interface ChannelMeta {
  remote: string;
  role: PeerRole;
  localFingerprint: string;
  remoteFingerprint: string;
}

/** Core (worker) → host. */
export type CoreToHost =
  | { t: 'connect'; rid: number }
  | { t: 'close'; rid: number }
  | { t: 'put-mailbox'; rid: number; to: string; token: string }
  | { t: 'dial'; rid: number; remote: string }
  | { t: 'watch'; nodeIds: string[] }
  | { t: 'contacts'; nodeIds: string[] }
  | { t: 'ack-mailbox'; ids: string[] }
  /** The core is (or no longer is) authenticating a channel to `remote`: the dialer's glare rule. */
  | { t: 'authenticating'; remote: string; busy: boolean }
  | { t: 'signed'; rid: number; ok: true; signature: Uint8Array }
  | { t: 'signed'; rid: number; ok: false; error: KeynodeErrorJSON };

/** Host → core (worker). A 'reply' to 'dial' carries the channel's port. */
export type HostToCore =
  | { t: 'reply'; rid: number; ok: true; value?: unknown }
  | { t: 'reply'; rid: number; ok: false; error: KeynodeErrorJSON }
  | { t: 'status'; status: SignalingStatus; iceServers: RTCIceServer[] }
  | { t: 'peer-online'; nodeId: string }
  | { t: 'peer-offline'; nodeId: string }
  | { t: 'mailbox'; items: MailboxItem[] }
  | { t: 'error'; error: KeynodeErrorJSON }
  | { t: 'channel'; meta: ChannelMeta }
  | { t: 'sign'; rid: number; bytes: Uint8Array }
  | { t: 'bye' };

/** On a channel's own port, besides ArrayBuffers of data: flow control and closing. */
export type ChannelControl = { t: 'ack'; n: number } | { t: 'close'; error?: KeynodeErrorJSON };
