/**
 * `GET /api/3.0/mlflow/server-info`, which newer MLflow clients ask before choosing how to move
 * artifacts: Runlog stores them itself, takes each file in one PUT and signs no URLs, and has no
 * workspaces or trace archival.
 */
import type { RouteSet } from './context';

export const SERVER_ROUTES: RouteSet = {
  'server-info': {
    methods: ['GET'],
    handler: () =>
      Promise.resolve({
        store_type: 'FileStore',
        workspaces_enabled: false,
        trace_archival_enabled: false,
        multipart_uploads_enabled: false,
        multipart_downloads_enabled: false,
      }),
  },
};
