import * as assert from 'node:assert/strict';
import type { Envelope } from '../../../shared/messaging';
import { MessageChannel } from '../../../shared/messaging';

type Ping = { type: 'ping'; n: number } | { type: 'boom' };

function isPing(value: unknown): value is Ping {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ((v['type'] === 'ping' && typeof v['n'] === 'number') || v['type'] === 'boom')
  );
}

/** Two channels wired back to back, as the host and a webview would be. */
function pair(): { a: MessageChannel<Ping, Ping>; b: MessageChannel<Ping, Ping>; events: Ping[]; invalid: string[] } {
  const events: Ping[] = [];
  const invalid: string[] = [];
  // eslint-disable-next-line prefer-const -- the channels refer to each other
  let b: MessageChannel<Ping, Ping>;
  const a = new MessageChannel<Ping, Ping>((e: Envelope<Ping>) => queueMicrotask(() => b.receive(e)), {
    onEvent: () => undefined,
    onRequest: () => Promise.resolve(undefined),
    isMessage: isPing,
    onInvalid: (r) => invalid.push(r),
  });
  b = new MessageChannel<Ping, Ping>((e) => queueMicrotask(() => a.receive(e)), {
    onEvent: (m) => events.push(m),
    onRequest: (m) => (m.type === 'boom' ? Promise.reject(new Error('it blew up')) : Promise.resolve(m.n * 2)),
    isMessage: isPing,
    onInvalid: (r) => invalid.push(r),
  });
  return { a, b, events, invalid };
}

describe('message channel', () => {
  it('delivers events and answers requests', async () => {
    const { a, events } = pair();
    a.send({ type: 'ping', n: 1 });
    assert.equal(await a.request<number>({ type: 'ping', n: 21 }), 42);
    assert.deepEqual(events, [{ type: 'ping', n: 1 }]);
  });

  it('turns a failed request into a rejected promise', async () => {
    const { a } = pair();
    await assert.rejects(a.request({ type: 'boom' }), /it blew up/);
  });

  it('drops malformed input without throwing', () => {
    const { b, events, invalid } = pair();
    for (const raw of [
      null,
      'text',
      { kind: 'event', body: { type: 'ping', n: 'x' } },
      { kind: 'reply', id: 99, ok: true },
      { kind: 'nope' },
      { kind: 'request', body: { type: 'boom' } },
    ]) {
      b.receive(raw);
    }
    assert.deepEqual(events, []);
    assert.equal(invalid.length, 6);
  });

  it('rejects pending requests on dispose', async () => {
    const never = new MessageChannel<Ping, Ping>(() => undefined, {
      onEvent: () => undefined,
      onRequest: () => Promise.resolve(undefined),
      isMessage: isPing,
    });
    const pending = never.request({ type: 'ping', n: 1 });
    never.dispose();
    await assert.rejects(pending, /closed/);
  });
});
