// The Secrets API (docs/api.md) on top of the VaultManager: every mutation is one batch, and one batch is
// one commit written with plumbing on the bare repository (see VaultManager.mutate); reads resolve
// paths in the checked-out version's tree. Arguments are checked here; the tree editor decides the
// per-path errors.
import { KeynodeError } from '../errors.js';
import { silentLogger, type BatchOp, type EnvOptions, type Logger, type SecretContent, type Secrets } from '../types.js';
import type { TreeEditor } from '../vaults/tree-editor.js';
import type { VaultManager } from '../vaults/vault-manager.js';
import { collectEnv, formatDotenv, formatJson, type EnvSecret } from './env.js';
import { parseDir, parsePath, toBytes } from './paths.js';

type Step = (tree: TreeEditor) => Promise<void>;

export class SecretsManager implements Secrets {
  constructor(
    private readonly vaults: VaultManager,
    private readonly logger: Logger = silentLogger,
  ) {}

  add(vault: string, path: string, content: SecretContent): Promise<void> {
    return this.batch(vault, [{ op: 'add', path, content }]);
  }

  update(vault: string, path: string, content: SecretContent): Promise<void> {
    return this.batch(vault, [{ op: 'update', path, content }]);
  }

  write(vault: string, path: string, content: SecretContent): Promise<void> {
    return this.batch(vault, [{ op: 'write', path, content }]);
  }

  mkdir(vault: string, path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    return this.batch(vault, [{ op: 'mkdir', path, recursive: opts.recursive ?? false }]);
  }

  rename(vault: string, from: string, to: string): Promise<void> {
    return this.batch(vault, [{ op: 'rename', path: from, to }]);
  }

  delete(vault: string, paths: string | string[], opts: { recursive?: boolean } = {}): Promise<void> {
    const list = Array.isArray(paths) ? paths : [paths];
    return this.batch(
      vault,
      list.map((path) => ({ op: 'delete' as const, path, recursive: opts.recursive ?? false })),
    );
  }

  /** All ops in one commit; any failing op (or a bad argument) leaves the vault as it was. */
  async batch(vault: string, ops: BatchOp[]): Promise<void> {
    if (!Array.isArray(ops)) throw new KeynodeError('ErrorInvalidArgument', 'A batch is a list of operations.');
    const steps = ops.map(toStep);
    const vaultId = await this.vaults.resolve(vault);
    await this.vaults.mutate(vaultId, async (tree) => {
      for (const step of steps) await step(tree);
    });
  }

  async get(vault: string, path: string): Promise<Uint8Array> {
    const parts = parsePath(path);
    const vaultId = await this.vaults.resolve(vault);
    return this.vaults.read(vaultId, (tree) => tree.readFile(parts));
  }

  async getText(vault: string, path: string): Promise<string> {
    return new TextDecoder().decode(await this.get(vault, path));
  }

  async stat(vault: string, path: string): Promise<{ type: 'file' | 'directory'; size: number }> {
    const parts = parsePath(path);
    const vaultId = await this.vaults.resolve(vault);
    return this.vaults.read(vaultId, (tree) => tree.size(parts));
  }

  /** One level of `dir` (default: the root); `path` is the full path of each entry. */
  async list(vault: string, dir?: string): Promise<Array<{ path: string; type: 'file' | 'directory' }>> {
    const parts = parseDir(dir);
    const vaultId = await this.vaults.resolve(vault);
    const entries = await this.vaults.read(vaultId, (tree) => tree.list(parts));
    const prefix = parts.length === 0 ? '' : `${parts.join('/')}/`;
    return entries.map((e) => ({ path: prefix + e.name, type: e.type }));
  }

  /** The secrets under `paths` (default: the whole vault, recursively) as dotenv or JSON. */
  async env(vault: string, paths?: string[], opts: EnvOptions = {}): Promise<string> {
    const roots = paths === undefined || paths.length === 0 ? [[]] : paths.map(parsePath);
    const vaultId = await this.vaults.resolve(vault);
    const secrets = await this.vaults.read(vaultId, async (tree) => {
      const out: EnvSecret[] = [];
      for (const root of roots) {
        for (const file of await tree.files(root)) out.push({ path: file.join('/'), content: await tree.readFile(file) });
      }
      return out;
    });
    const vars = collectEnv(secrets, opts, this.logger);
    return opts.format === 'json' ? formatJson(vars) : formatDotenv(vars);
  }
}

/** Checks one op's arguments up front and returns what it does to the tree. */
function toStep(op: BatchOp): Step {
  if (typeof op !== 'object' || op === null) throw new KeynodeError('ErrorInvalidArgument', 'A batch operation is an object.');
  const parts = parsePath(op.path);
  const recursive = op.recursive === true;
  switch (op.op) {
    case 'add':
    case 'update':
    case 'write': {
      const content = toBytes(op.content);
      return (tree) => tree.writeFile(parts, content, op.op as 'add' | 'update' | 'write');
    }
    case 'delete':
      return (tree) => tree.remove(parts, recursive);
    case 'mkdir':
      return (tree) => tree.mkdir(parts, recursive);
    case 'rename': {
      const to = parsePath(op.to);
      return (tree) => tree.rename(parts, to);
    }
    default:
      throw new KeynodeError('ErrorInvalidArgument', `Unknown batch operation "${String((op as { op?: unknown }).op)}".`);
  }
}
