// Reads the DTLS certificate fingerprint out of an SDP. The handshake signs these fingerprints,
// so a signaling server that swaps the SDP (and with it the certificate) is caught (docs/design.md §5).

/**
 * Returns the fingerprint as "sha-256 AB:CD:…" (algorithm lower case, hex upper case), or
 * undefined when the SDP has none or carries two different ones: the channel then cannot be
 * bound to a single certificate and must not be trusted.
 */
export function sdpFingerprint(sdp: string): string | undefined {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:(\S+)\s+([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$/.exec(line);
    if (m !== null) found.add(`${m[1]!.toLowerCase()} ${m[2]!.toUpperCase()}`);
  }
  if (found.size !== 1) return undefined;
  return [...found][0];
}
