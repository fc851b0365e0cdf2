// Edits a vault's tree in memory on top of a base commit's tree, loading only the folders a path
// passes through, then writes back only what changed: new blobs, and one tree per changed folder,
// bottom-up (cost grows with path depth, not with the number of secrets). Every check happens
// before anything is written, so a batch that fails validation writes nothing. Reads use the same
// lazy walk. The thrown errors are the Secrets API's codes, since this is what decides them.
import { KeynodeError } from '../errors.js';
import { EMPTY_TREE, type Repo } from './git-repo.js';
import { objectId, serializeTree, writeObject } from './object-writer.js';
import { readBlob, readTree, type TreeEntry } from './objects.js';

const FILE_MODE = '100644';
const DIR_MODE = '040000';

interface FileNode {
  kind: 'file';
  mode: string;
  oid: string;
  /** Content not yet written to the object store. */
  content?: Uint8Array;
}

class DirNode {
  readonly kind = 'dir';
  entries: Map<string, Node> | undefined;
  /** Set once the folder differs from the tree `oid` it was loaded from. */
  changed = false;
  constructor(public oid: string | undefined) {
    if (oid === undefined) this.entries = new Map();
  }
}

type Node = FileNode | DirNode;

export type ChangeKind = 'added' | 'modified' | 'deleted';
export interface Change {
  path: string;
  kind: ChangeKind;
}

export function blobOid(content: Uint8Array): string {
  return objectId('blob', content);
}

function show(parts: string[]): string {
  return parts.join('/');
}

export class TreeEditor {
  private readonly root: DirNode;

  constructor(
    private readonly repo: Repo,
    private readonly baseTree: string,
  ) {
    this.root = new DirNode(baseTree);
  }

  private async load(dir: DirNode): Promise<Map<string, Node>> {
    if (dir.entries !== undefined) return dir.entries;
    const entries = await this.readEntries(dir.oid!);
    const map = new Map<string, Node>();
    for (const e of entries) {
      map.set(e.path, e.type === 'tree' ? new DirNode(e.oid) : { kind: 'file', mode: e.mode, oid: e.oid });
    }
    dir.entries = map;
    return map;
  }

  /** Stored trees, read once per editor: the diff revisits the trees the edit already loaded. */
  private readonly stored = new Map<string, Promise<TreeEntry[]>>();

  private readEntries(oid: string): Promise<TreeEntry[]> {
    if (!this.stored.has(oid)) this.stored.set(oid, readTree(this.repo, oid));
    return this.stored.get(oid)!;
  }

  /** The node at `parts` ([] = the root), or undefined when nothing is there. */
  async lookup(parts: string[]): Promise<Node | undefined> {
    let node: Node = this.root;
    for (const part of parts) {
      if (node.kind !== 'dir') return undefined;
      node = (await this.load(node)).get(part) as Node;
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** The folder at `parts`, creating missing ones when `create`; marks the path changed when `create`. */
  private async dirAt(parts: string[], create: boolean): Promise<DirNode> {
    let dir = this.root;
    if (create) dir.changed = true;
    for (let i = 0; i < parts.length; i++) {
      const entries = await this.load(dir);
      let next = entries.get(parts[i]!);
      if (next === undefined) {
        if (!create) {
          throw new KeynodeError('ErrorSecretsDirectoryUndefined', `There is no directory "${show(parts.slice(0, i + 1))}".`);
        }
        next = new DirNode(undefined);
        entries.set(parts[i]!, next);
      }
      if (next.kind !== 'dir') {
        throw new KeynodeError('ErrorSecretsIsSecret', `"${show(parts.slice(0, i + 1))}" is a secret, not a directory.`);
      }
      if (create) next.changed = true;
      dir = next;
    }
    return dir;
  }

  async readFile(parts: string[]): Promise<Uint8Array> {
    const node = await this.lookup(parts);
    if (node === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret "${show(parts)}".`);
    if (node.kind === 'dir') throw new KeynodeError('ErrorSecretsIsDirectory', `"${show(parts)}" is a directory, not a secret.`);
    if (node.content !== undefined) return node.content;
    return readBlob(this.repo, node.oid);
  }

  async list(parts: string[]): Promise<Array<{ name: string; type: 'file' | 'directory' }>> {
    const node = await this.lookup(parts);
    if (node === undefined) throw new KeynodeError('ErrorSecretsDirectoryUndefined', `There is no directory "${show(parts)}".`);
    if (node.kind === 'file') throw new KeynodeError('ErrorSecretsIsSecret', `"${show(parts)}" is a secret, not a directory.`);
    const out: Array<{ name: string; type: 'file' | 'directory' }> = [];
    for (const [name, child] of await this.load(node)) {
      // Folders made by mkdir and still empty are not stored by git, so they are not shown either.
      if (child.kind === 'dir' && !(await this.hasFiles(child))) continue;
      out.push({ name, type: child.kind === 'dir' ? 'directory' : 'file' });
    }
    return out;
  }

  private async hasFiles(dir: DirNode): Promise<boolean> {
    // A stored tree is never empty (git writes no empty subtrees), so only edited folders are walked.
    if (!dir.changed && dir.oid !== undefined && dir.oid !== EMPTY_TREE) return true;
    for (const child of (await this.load(dir)).values()) {
      if (child.kind === 'file' || (await this.hasFiles(child))) return true;
    }
    return false;
  }

  /** Every secret at or under `parts`, in tree order, as path components. */
  async files(parts: string[]): Promise<string[][]> {
    const node = await this.lookup(parts);
    if (node === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret or directory "${show(parts)}".`);
    const out: string[][] = [];
    const walk = async (n: Node, at: string[]): Promise<void> => {
      if (n.kind === 'file') {
        out.push(at);
        return;
      }
      const entries = [...(await this.load(n)).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [name, child] of entries) await walk(child, [...at, name]);
    };
    await walk(node, parts);
    return out;
  }

  async size(parts: string[]): Promise<{ type: 'file' | 'directory'; size: number }> {
    const node = await this.lookup(parts);
    if (node === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret "${show(parts)}".`);
    if (node.kind === 'dir') return { type: 'directory', size: (await this.list(parts)).length };
    return { type: 'file', size: (await this.readFile(parts)).length };
  }

  /** Writes a secret. 'add' refuses an existing one, 'update' a missing one; parents are created. */
  async writeFile(parts: string[], content: Uint8Array, mode: 'add' | 'update' | 'write'): Promise<void> {
    const name = parts[parts.length - 1]!;
    const existing = await this.lookup(parts);
    if (existing?.kind === 'dir') throw new KeynodeError('ErrorSecretsIsDirectory', `"${show(parts)}" is a directory, not a secret.`);
    if (mode === 'add' && existing !== undefined) throw new KeynodeError('ErrorSecretsSecretDefined', `The secret "${show(parts)}" already exists.`);
    if (mode === 'update' && existing === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret "${show(parts)}" to update.`);
    const dir = await this.dirAt(parts.slice(0, -1), true);
    (await this.load(dir)).set(name, { kind: 'file', mode: existing?.mode ?? FILE_MODE, oid: blobOid(content), content });
  }

  /** Removes a secret, or a folder (only with `recursive` unless it holds no secrets). */
  async remove(parts: string[], recursive: boolean): Promise<void> {
    const existing = await this.lookup(parts);
    if (existing === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret "${show(parts)}" to delete.`);
    if (existing.kind === 'dir' && !recursive && (await this.hasFiles(existing))) {
      throw new KeynodeError('ErrorVaultsRecursive', `"${show(parts)}" is a directory that is not empty: delete it with the recursive option.`);
    }
    const dir = await this.dirAt(parts.slice(0, -1), true);
    (await this.load(dir)).delete(parts[parts.length - 1]!);
  }

  async mkdir(parts: string[], recursive: boolean): Promise<void> {
    const existing = await this.lookup(parts);
    if (existing?.kind === 'file') throw new KeynodeError('ErrorSecretsIsSecret', `"${show(parts)}" is a secret, not a directory.`);
    if (existing !== undefined) {
      if (recursive) return;
      throw new KeynodeError('ErrorSecretsSecretDefined', `The directory "${show(parts)}" already exists.`);
    }
    const parent = parts.slice(0, -1);
    if (!recursive) {
      const p = await this.lookup(parent);
      if (p === undefined)
        throw new KeynodeError('ErrorSecretsDirectoryUndefined', `There is no directory "${show(parent)}" to create "${show(parts)}" in (use recursive).`);
      if (p.kind === 'file') throw new KeynodeError('ErrorSecretsIsSecret', `"${show(parent)}" is a secret, not a directory.`);
    }
    await this.dirAt(parts, true);
  }

  /** Moves a secret or folder; the target must not exist, its parents are created. */
  async rename(from: string[], to: string[]): Promise<void> {
    const node = await this.lookup(from);
    if (node === undefined) throw new KeynodeError('ErrorSecretsSecretUndefined', `There is no secret "${show(from)}" to rename.`);
    if (to.length > from.length && from.every((p, i) => p === to[i])) {
      throw new KeynodeError('ErrorSecretsPathInvalid', `"${show(from)}" cannot be moved inside itself.`);
    }
    if (from.length === to.length && from.every((p, i) => p === to[i])) return;
    const target = await this.lookup(to);
    if (target !== undefined) throw new KeynodeError('ErrorSecretsSecretDefined', `"${show(to)}" already exists.`);
    const source = await this.dirAt(from.slice(0, -1), true);
    (await this.load(source)).delete(from[from.length - 1]!);
    const dest = await this.dirAt(to.slice(0, -1), true);
    (await this.load(dest)).set(to[to.length - 1]!, node);
  }

  /** What changed against the base tree, secret by secret, in path order. */
  async changes(): Promise<Change[]> {
    const out: Change[] = [];
    await this.diff(this.baseTree, this.root, '', out);
    return out;
  }

  private async diff(baseOid: string | undefined, node: DirNode | undefined, prefix: string, out: Change[]): Promise<void> {
    if (node !== undefined && !node.changed && node.oid !== undefined && node.oid === baseOid) return;
    const before = new Map<string, { type: string; oid: string }>();
    if (baseOid !== undefined) for (const e of await this.readEntries(baseOid)) before.set(e.path, e);
    const after = node === undefined ? new Map<string, Node>() : await this.load(node);
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    for (const name of names) {
      const b = before.get(name);
      const a = after.get(name);
      const path = prefix + name;
      const bDir = b?.type === 'tree' ? b.oid : undefined;
      const aDir = a?.kind === 'dir' ? a : undefined;
      if (bDir !== undefined || aDir !== undefined) await this.diff(bDir, aDir, `${path}/`, out);
      const bFile = b !== undefined && b.type !== 'tree' ? b.oid : undefined;
      const aFile = a?.kind === 'file' ? a.oid : undefined;
      if (bFile === undefined && aFile !== undefined) out.push({ path, kind: 'added' });
      else if (bFile !== undefined && aFile === undefined) out.push({ path, kind: 'deleted' });
      else if (bFile !== undefined && bFile !== aFile) out.push({ path, kind: 'modified' });
    }
  }

  /** Writes the new blobs and the changed trees, bottom-up; returns the new root tree's id. */
  async write(): Promise<string> {
    return (await this.writeDir(this.root)) ?? (await this.writeTree([]));
  }

  /** Returns the folder's tree id, or undefined when it holds no secrets (git keeps no empty trees). */
  private async writeDir(dir: DirNode): Promise<string | undefined> {
    if (!dir.changed && dir.oid !== undefined) return dir.oid;
    const entries: TreeEntry[] = [];
    for (const [name, child] of await this.load(dir)) {
      if (child.kind === 'file') {
        if (child.content !== undefined) {
          await writeObject(this.repo, 'blob', child.content);
          delete child.content;
        }
        entries.push({ mode: child.mode, path: name, oid: child.oid, type: child.mode === '160000' ? 'commit' : 'blob' });
      } else {
        const oid = await this.writeDir(child);
        if (oid !== undefined) entries.push({ mode: DIR_MODE, path: name, oid, type: 'tree' });
      }
    }
    if (entries.length === 0) return undefined;
    const oid = await this.writeTree(entries);
    dir.oid = oid;
    dir.changed = false;
    return oid;
  }

  private writeTree(entries: TreeEntry[]): Promise<string> {
    return writeObject(this.repo, 'tree', serializeTree(entries));
  }
}
