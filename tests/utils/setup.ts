// Test-process setup: IndexedDB for Node (fake-indexeddb) and the navigator stub lightning-fs reads.
import 'fake-indexeddb/auto';

const g = globalThis as { navigator?: object };
g.navigator ??= {};
