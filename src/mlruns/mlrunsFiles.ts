import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Dirent } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A file under a folder, by its `/`-separated path relative to that folder. */
export interface TreeFile {
  readonly path: string;
  readonly absolute: string;
}

export interface TreeListing {
  readonly files: TreeFile[];
  /** Entries that are not plain files or folders (symlinks, sockets): never followed, never copied. */
  readonly skipped: string[];
}

/**
 * The regular files under `root`, recursively, sorted by path. Symlinks are listed as skipped:
 * following one could read (or, copied, expose) files outside the folder. A missing root is empty.
 */
export async function listTree(root: string): Promise<TreeListing> {
  const files: TreeFile[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && prefix === '') return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(dir, entry.name), path);
      else if (entry.isFile()) files.push({ path, absolute: join(dir, entry.name) });
      else skipped.push(path);
    }
  };
  await walk(root, '');
  return { files, skipped };
}

/** The files of a params/ or tags/ folder as key → value (keys with `/` are nested folders). */
export async function readKeyedFiles(root: string): Promise<{ values: Map<string, string>; skipped: string[] }> {
  const { files, skipped } = await listTree(root);
  const values = new Map<string, string>();
  for (const file of files) values.set(file.path, await readFile(file.absolute, 'utf8'));
  return { values, skipped };
}

/** The subfolders of a folder (none when it does not exist). */
export async function subfolders(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Copies a file, creating its folder, and returns its size and sha256 (read back from the copy). */
export async function copyWithDigest(from: string, to: string): Promise<{ size: number; sha256: string }> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, to);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(to)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * The lines of a text file in batches of about `batchBytes`, so a metric file of millions of points
 * is never one string and the event loop gets a turn between batches. The last line may lack `\n`.
 */
export async function* lineBatches(path: string, batchBytes = 256 << 10): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: batchBytes })) {
    const textChunk = rest + (chunk as string);
    const lines = textChunk.split('\n');
    rest = lines.pop() ?? '';
    if (lines.length > 0) yield lines;
  }
  if (rest !== '') yield [rest];
}
