/**
 * Params are write-once, also between processes: the endpoint, the Python client, the editor's
 * launcher, two endpoints on one store. Node has no flock, so the rule is one both languages can
 * follow atomically with plain files (docs/JOURNAL.md):
 *
 * Before appending a `param` line, a writer claims (run, key) by creating
 * `runs/<id>/params/<sha256 of the key, hex>` holding `{"key": …, "value": …}`: written to a
 * temporary name, then hard-linked to the claim's name, which fails with EEXIST when the claim
 * exists — so a claim is never seen half-written. Creating it wins; finding it, the writer reads
 * it: the same value is fine (the line is appended again, which ingest ignores), another value is
 * refused. A crash between the claim and the journal line leaves a claim the journal does not
 * show: the same value logged again completes it, another one is still refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PARAMS_DIR = 'params';

/** The claim file of a param key inside a run folder. */
export function paramClaimFile(runDir: string, key: string): string {
  return join(runDir, PARAMS_DIR, createHash('sha256').update(key, 'utf8').digest('hex'));
}

export type Claim = { readonly ok: true } | { readonly ok: false; readonly existing: string };

async function readClaim(file: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { value?: unknown };
    return typeof parsed.value === 'string' ? parsed.value : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The value a claim holds for `key`, if any (for checking a batch before claiming any of it). */
export function claimedValue(runDir: string, key: string): Promise<string | undefined> {
  return readClaim(paramClaimFile(runDir, key));
}

/** Claims `key` = `value` for the run in `runDir`; `ok: false` names the value that stands. */
export async function claimParam(runDir: string, key: string, value: string): Promise<Claim> {
  const file = paramClaimFile(runDir, key);
  const existing = await readClaim(file);
  if (existing !== undefined) return existing === value ? { ok: true } : { ok: false, existing };
  await mkdir(join(runDir, PARAMS_DIR), { recursive: true });
  const temp = join(runDir, PARAMS_DIR, `.claim-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(temp, JSON.stringify({ key, value }), { flag: 'wx' });
  try {
    await link(temp, file);
    return { ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      // A file system without hard links: exclusive creation still decides who wins.
      try {
        await writeFile(file, JSON.stringify({ key, value }), { flag: 'wx' });
        return { ok: true };
      } catch (inner) {
        if ((inner as NodeJS.ErrnoException).code !== 'EEXIST') throw inner;
      }
    } else if (code !== 'EEXIST') {
      throw error;
    }
  } finally {
    await rm(temp, { force: true });
  }
  const winner = await readClaim(file);
  if (winner === undefined || winner === value) return { ok: true };
  return { ok: false, existing: winner };
}
