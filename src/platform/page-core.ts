// Everything a page needs to run the keynode core itself, where service workers are unavailable
// (src/main.tsx): one dynamic import, so none of it is part of the page's start-up code. The shims
// come first: isomorphic-git and simple-peer read Node's Buffer and process as globals.
import './browser-shims.js';

export { createKeynodeFrom } from '../keynode/keynode.js';
export { openIndexedDbStorage } from '../storage/index.js';
export { checkRestore, currentStorageName, replaceWithRestored } from './profile.js';
