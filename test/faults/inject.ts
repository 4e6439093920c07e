// Preloaded (`node --require`) into an endpoint process by the fault suite when it cannot mount a
// small or read-only file system: the same faults, injected at the file-system layer. Every file
// handle opened under RUNLOG_FAULT_DIR fails its writes with ENOSPC once RUNLOG_FAULT_ENOSPC_AFTER
// bytes went to that folder in all, or (RUNLOG_FAULT_READ_ONLY) cannot be opened for writing.
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs';

const dir = process.env['RUNLOG_FAULT_DIR'] ?? '';
const budget = { left: Number(process.env['RUNLOG_FAULT_ENOSPC_AFTER'] ?? Infinity) };
const readOnly = process.env['RUNLOG_FAULT_READ_ONLY'] === '1';

function fault(code: 'ENOSPC' | 'EROFS', path: string): NodeJS.ErrnoException {
  const message = code === 'ENOSPC' ? 'no space left on device' : 'read-only file system';
  return Object.assign(new Error(`${code}: ${message}, write '${path}'`), { code, path });
}

const under = (path: unknown): boolean => typeof path === 'string' && dir !== '' && path.startsWith(dir);
const writes = (flags: unknown): boolean =>
  typeof flags === 'number'
    ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0
    : typeof flags === 'string' && /[wa+]/.test(flags);

const promises = fs.promises as unknown as {
  open: (path: unknown, flags?: unknown, mode?: unknown) => Promise<FileHandle>;
};
const realOpen = promises.open.bind(fs.promises);
promises.open = async (path, flags, mode) => {
  if (readOnly && under(path) && writes(flags)) throw fault('EROFS', String(path));
  const handle = await realOpen(path, flags, mode);
  if (!under(path)) return handle;
  const realWrite = handle.write.bind(handle) as (...args: unknown[]) => Promise<{ bytesWritten: number }>;
  (handle as unknown as { write: (...args: unknown[]) => Promise<unknown> }).write = async (data, ...rest) => {
    const buffer = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : buffer.length - offset;
    if (budget.left <= 0) throw fault('ENOSPC', String(path));
    const allowed = Math.min(length, budget.left);
    budget.left -= allowed;
    return realWrite(buffer, offset, allowed, null);
  };
  return handle;
};

// Streams (artifact uploads) and mkdir go through the callback API.
const realCreateWriteStream = fs.createWriteStream;
(fs as { createWriteStream: typeof fs.createWriteStream }).createWriteStream = (
  path: fs.PathLike,
  options?: unknown,
) => {
  if (readOnly && under(String(path))) {
    const stream = realCreateWriteStream('/dev/null', options as never);
    process.nextTick(() => stream.destroy(fault('EROFS', String(path))));
    return stream;
  }
  return realCreateWriteStream(path, options as never);
};
// What else writes: folders, whole files (claims, .gitignore) and links.
const api = fs.promises as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
for (const name of ['mkdir', 'writeFile', 'link', 'rename', 'copyFile']) {
  const real = api[name]?.bind(fs.promises);
  if (!real) continue;
  api[name] = async (...args: unknown[]) => {
    const target = name === 'link' || name === 'rename' || name === 'copyFile' ? args[1] : args[0];
    if (readOnly && under(target) && !(name === 'mkdir' && fs.existsSync(String(target)))) {
      throw fault('EROFS', String(target));
    }
    if (name === 'writeFile' && under(target) && budget.left <= 0) throw fault('ENOSPC', String(target));
    return real(...args);
  };
}
