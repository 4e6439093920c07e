import * as assert from 'node:assert/strict';
import type { Envelope } from '../../../shared/messaging';
import { MessageChannel, answering, requester } from '../../../shared/messaging';

type Ping = { type: 'ping'; n: number } | { type: 'boom' } | { type: 'note'; text: string };
/** `ping` and `boom` are requests (`note` is an event only). */
interface PingReplies {
  readonly ping: number;
  readonly boom: null;
}

function isPing(value: unknown): value is Ping {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ((v['type'] === 'ping' && typeof v['n'] === 'number') ||
      v['type'] === 'boom' ||
      (v['type'] === 'note' && typeof v['text'] === 'string'))
  );
}

const handlers = answering<Ping, PingReplies>({
  ping: (m) => Promise.resolve(m.n * 2),
  boom: () => Promise.reject(new Error('it blew up')),
});

type Channel = MessageChannel<Ping, Ping, PingReplies>;

/** Two channels wired back to back, as the host and a webview would be. */
function pair(): { a: Channel; b: Channel; events: Ping[]; invalid: string[] } {
  const events: Ping[] = [];
  const invalid: string[] = [];
  // eslint-disable-next-line prefer-const -- the channels refer to each other
  let b: Channel;
  const a: Channel = new MessageChannel((e: Envelope<Ping>) => queueMicrotask(() => b.receive(e)), {
    onEvent: () => undefined,
    onRequest: handlers,
    isMessage: isPing,
    onInvalid: (r) => invalid.push(r),
  });
  b = new MessageChannel((e) => queueMicrotask(() => a.receive(e)), {
    onEvent: (m) => events.push(m),
    onRequest: handlers,
    isMessage: isPing,
    onInvalid: (r) => invalid.push(r),
  });
  return { a, b, events, invalid };
}

describe('message channel', () => {
  it('delivers events and answers requests with the reply the protocol declares', async () => {
    const { a, events } = pair();
    a.send({ type: 'note', text: 'hi' });
    const doubled: number = await a.request({ type: 'ping', n: 21 });
    assert.equal(doubled, 42);
    assert.deepEqual(events, [{ type: 'note', text: 'hi' }]);
    // Checked by the compiler, not at run time: an event is no request, and a reply has its type.
    // @ts-expect-error `note` has no reply
    void a.request({ type: 'note', text: 'x' }).catch(() => undefined);
    // @ts-expect-error a ping is answered with a number
    const wrong: string = await a.request({ type: 'ping', n: 1 });
    void wrong;
  });

  it('turns a failed request into a rejected promise', async () => {
    const { a } = pair();
    await assert.rejects(a.request({ type: 'boom' }), /it blew up/);
  });

  it('refuses, from per-type handlers, a message that is no request', async () => {
    await assert.rejects(handlers({ type: 'note', text: 'x' }), /note is not a request/);
    const replies: unknown[] = [];
    const c = new MessageChannel<Ping, Ping>((e) => replies.push(e), {
      onEvent: () => undefined,
      onRequest: handlers,
      isMessage: isPing,
    });
    c.receive({ kind: 'request', id: 7, body: { type: 'note', text: 'x' } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(replies, [{ kind: 'reply', id: 7, ok: false, error: 'note is not a request' }]);
  });

  it('fakes the other side in the same process', async () => {
    const ask = requester<Ping, PingReplies>({
      ping: (m) => Promise.resolve(m.n + 1),
      boom: () => Promise.resolve(null),
    });
    assert.equal(await ask({ type: 'ping', n: 1 }), 2);
    assert.equal(await ask({ type: 'boom' }), null);
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
    const never = new MessageChannel<Ping, Ping, PingReplies>(() => undefined, {
      onEvent: () => undefined,
      onRequest: handlers,
      isMessage: isPing,
    });
    const pending = never.request({ type: 'ping', n: 1 });
    never.dispose();
    await assert.rejects(pending, /closed/);
  });
});
