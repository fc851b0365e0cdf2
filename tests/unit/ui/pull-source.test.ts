// How the app and the command line say where a pull came from.
import { expect, it } from 'vitest';
import { describePullSource } from '../../../src/keynode/pull-source.js';

const names: Record<string, string> = { vBob: 'Bob', vAliceLaptop: 'Alice’s laptop' };
const nameOf = (nodeId: string): string => names[nodeId] ?? `${nodeId.slice(0, 4)}…`;

it('names the default remote plainly, and a second holder with how it relates', () => {
  expect(describePullSource({ source: 'vAlice' }, nameOf, 'Alice')).toBe('vAli…');
  expect(describePullSource({ source: 'vAliceLaptop', via: 'owner-linked' }, nameOf, 'Alice')).toBe('Alice’s laptop (another of Alice’s browsers)');
  expect(describePullSource({ source: 'vBob', via: 'own-linked' }, nameOf, 'Alice')).toBe('Bob (another of your browsers)');
});
