// How many cases each fuzz suite runs: a short run inside `npm test`, the long one with `npm run fuzz`.
export const fuzzRuns = (short = 300): number => Number(process.env.KEYNODE_FUZZ_RUNS ?? short);
