// How many cases each fuzz suite runs: a short run inside `npm test`, the long one with `npm run fuzz`.
export const fuzzRuns = (short = 300): number => Number(process.env.KEYNODE_FUZZ_RUNS ?? short);

/** A test's time limit for the run count in force (the long run signs, verifies and indexes 10⁵ times). */
export const fuzzTimeout = (perCaseMs = 20): number => Math.max(60_000, fuzzRuns() * perCaseMs);
