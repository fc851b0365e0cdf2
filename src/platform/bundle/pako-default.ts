// isomorphic-git imports pako 1 as one default object and uses only its inflate, deflate and
// Inflate (streaming, with `push(chunk, false)`, `result`, `err`, `msg`, `strm.avail_in`), which
// pako 3 — the one src/git uses — provides unchanged. The browser bundles (vite.config.ts) point
// isomorphic-git's `pako` here, so a page or worker carries one zlib instead of two.
import { deflate, inflate, Inflate } from 'pako';

export default { deflate, inflate, Inflate };
