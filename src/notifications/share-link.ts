// Share links: the signed token rides in the URL fragment (`#share=<base64url of the token text>`),
// which browsers never send to any server, so the link can go through chat, mail or a QR code and
// only the two keynodes ever read it. The token grants nothing: the owner's ACL decides every clone.
import { KeynodeError } from '../errors.js';
import { base64urlDecode, base64urlEncode } from '../keys/crypto.js';
import { utf8 } from '../utils/bytes.js';

const marker = 'share=';

export function buildShareLink(baseUrl: string, tokenText: string): string {
  const hash = baseUrl.indexOf('#');
  const base = hash === -1 ? baseUrl : baseUrl.slice(0, hash);
  return `${base}#${marker}${base64urlEncode(utf8.encode(tokenText))}`;
}

const malformed = (why: string): KeynodeError =>
  new KeynodeError('ErrorNotificationsParse', `This is not a keynode share link: ${why}. Copy the whole link again and retry.`);

/** The token text inside a whole link, its fragment (`#share=…` or `share=…`), or the bare token JSON. */
export function tokenFromLink(urlOrToken: string): string {
  if (typeof urlOrToken !== 'string') throw malformed('nothing was given');
  const text = urlOrToken.trim();
  if (text.startsWith('{')) return text;
  const hash = text.indexOf('#');
  const fragment = hash === -1 ? text : text.slice(hash + 1);
  const params = new URLSearchParams(fragment);
  const encoded = params.get(marker.slice(0, -1));
  if (encoded === null || encoded === '') throw malformed('it carries no "#share=" part');
  try {
    return utf8.decode(base64urlDecode(encoded));
  } catch {
    throw malformed('its "#share=" part is damaged or cut short');
  }
}
