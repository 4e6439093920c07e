/**
 * A run's file as a webview resource: the URL of the run's artifacts folder (the host's
 * `asWebviewUri`, ending in `/`) joined with the file's artifact path, each segment
 * percent-encoded. Paths come from journals anyone can write (`%`, `#`, `?`, quotes, markup): a
 * path that could climb out of the folder (absolute, `..`, `.`, empty segments, backslashes) gets no
 * URL at all; the webview's `localResourceRoots` confine the rest to the run's artifacts as well.
 */
export function isArtifactPath(path: string): boolean {
  if (path === '' || path.length > 4096 || path.includes('\\') || path.includes('\u0000')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The URL of `path` under `base`, or undefined when the path is not a plain relative one. */
export function artifactUrl(base: string, path: string): string | undefined {
  if (!isArtifactPath(path)) return undefined;
  return base + path.split('/').map(encodeURIComponent).join('/');
}
