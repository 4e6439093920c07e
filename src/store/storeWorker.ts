// Entry of the store worker thread (bundled to dist/storeWorker.js). The database, journal reading,
// snapshots and big queries all run here, so none of them can stall the extension host.
import { parentPort, workerData } from 'node:worker_threads';
import { MessageChannel } from '../../shared/messaging';
import { NewerStoreError } from './schema';
import type { StoreEvent, StoreRequest, StoreWorkerData } from './storeProtocol';
import { StoreService, isStoreRequest } from './storeService';

const port = parentPort;
const data = workerData as StoreWorkerData;

if (port) {
  let service: StoreService | undefined;
  const channel = new MessageChannel<StoreEvent, StoreRequest>((envelope) => port.postMessage(envelope), {
    onEvent: () => undefined,
    onRequest: async (request) => (await started).call(request.type, ...request.args),
    isMessage: isStoreRequest,
    onInvalid: (reason) =>
      channel.send({ type: 'log', level: 'error', message: `store worker: dropped a message (${reason})` }),
  });
  const started = StoreService.start(data, {
    changed: (runIds) => channel.send({ type: 'changed', runIds }),
    log: (level, message) => channel.send({ type: 'log', level, message }),
  });
  started.then(
    (s) => {
      service = s;
      channel.send({ type: 'ready', status: s.status() });
    },
    (error: unknown) =>
      channel.send({
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
        newerVersion: error instanceof NewerStoreError,
      }),
  );
  port.on('message', (message: unknown) => {
    if ((message as { kind?: unknown } | null)?.kind === 'close') {
      void (service?.close() ?? Promise.resolve()).finally(() => port.postMessage({ kind: 'closed' }));
      return;
    }
    channel.receive(message);
  });
}
