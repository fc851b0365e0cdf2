// Stands in for polyfills that every browser keynode runs in makes unnecessary (vite.config.ts):
// fast-text-encoding, which lightning-fs loads for a TextEncoder that browsers have natively.
export {};
