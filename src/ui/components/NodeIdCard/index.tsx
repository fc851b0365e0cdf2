// This keynode's NodeId in full, with copy and a QR code: what another person needs to share with you.
import { CopyButton } from '../CopyButton/index.js';
import { Qr } from '../Qr/index.js';

export function NodeIdCard({ nodeId }: { nodeId: string }) {
  return (
    <div class="nodeid-card">
      <p>Your NodeId — give it to people who want to share vaults with you:</p>
      <p class="mono nodeid" data-testid="own-node-id">
        {nodeId}
      </p>
      <CopyButton text={nodeId} label="Copy my NodeId" />
      <Qr text={nodeId} label="QR code of your NodeId" />
    </div>
  );
}
