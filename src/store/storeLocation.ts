import { isAbsolute, join, resolve } from 'node:path';

export const DEFAULT_STORE_DIR = '.runlog';

/**
 * Where a workspace folder's store lives: `runlog.storeDir` relative to the folder, or absolute.
 * An empty or blank setting means the default.
 */
export function resolveStoreDir(workspaceFolder: string, setting: string | undefined): string {
  const configured = setting?.trim() ? setting.trim() : DEFAULT_STORE_DIR;
  return isAbsolute(configured) ? resolve(configured) : resolve(join(workspaceFolder, configured));
}
