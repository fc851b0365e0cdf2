// The layering rule in eslint.config.js (keynode/layers), run through the project's own config: it
// must refuse each import that would tie src/, signaling-server/ and protocol/ together, and pass the
// imports each folder does make.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'keynode/layers').map((m) => m.message);
}

describe('keynode/layers', () => {
  it('refuses src importing the signaling server', async () => {
    expect(await layerErrors('src/network/x.ts', "export { startSignalingServer } from '../../signaling-server/src/index.js';\n")).toEqual([
      'src/ must not import signaling-server/ ("../../signaling-server/src/index.js").',
    ]);
  });

  it('refuses the signaling server importing src, and packages it has no use for', async () => {
    const code =
      "import type { NodeId } from '../../../src/ids/index.js';\nimport { base58 } from '@scure/base';\nexport type X = NodeId;\nexport const y = base58;\n";
    expect(await layerErrors('signaling-server/src/stores/x.ts', code)).toEqual([
      'signaling-server/ must not import src/ ("../../../src/ids/index.js").',
      '"@scure/base" is not among the packages this folder may use (node:, ws, ioredis, valibot).',
    ]);
  });

  it('refuses protocol/ importing either side or a Node module', async () => {
    const code = "import '../src/errors.js';\nimport '../signaling-server/src/limits.js';\nimport 'node:crypto';\n";
    expect(await layerErrors('protocol/x.ts', code)).toHaveLength(3);
  });

  it('passes the imports each side makes of protocol/ and its own files', async () => {
    expect(await layerErrors('src/network/x.ts', "import '../../protocol/signaling.js';\nimport '../errors.js';\nimport 'simple-peer';\n")).toEqual([]);
    expect(
      await layerErrors('signaling-server/src/x.ts', "import 'node:crypto';\nimport 'ws';\nimport '../../protocol/node-id.js';\nimport './limits.js';\n"),
    ).toEqual([]);
    expect(await layerErrors('protocol/x.ts', "import 'valibot';\nimport '@noble/curves/ed25519.js';\nimport './encoding.js';\n")).toEqual([]);
  });
});
