// The git layer's public surface: the server half (advertisement, upload-pack) that serves a
// vault to a peer, and the client half (bare clone and fetch over a plain transport) that receives one.
export type { GitFs, GitRepo } from './types.js';
export { advertiseRefs, CAPABILITIES, AGENT } from './advertise.js';
export { prepareClone, uploadPack, type UploadPackOptions } from './upload-pack.js';
export type { PackStats } from './pack-writer.js';
export type { FetchOptions, GitTransport } from './fetch-pack.js';
export { cloneBare, fetchMaster, isDescendant, masterInAdvertisement, readMaster, setMaster, type GitClientArgs } from './client.js';
export { initRepository, MASTER, writeMaster } from './refs.js';
export { encodePktLine, parsePktLines, readPktLines, PktLineParser, FLUSH, type Pkt } from './pkt-line.js';
