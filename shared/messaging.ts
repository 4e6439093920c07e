/**
 * The one message transport between the extension host and a webview. Each panel declares two
 * discriminated unions in its own protocol file (what the host sends, what the webview sends), and
 * for each side the replies to its requests (message type → reply type); both sides wrap their
 * `postMessage` in a `MessageChannel`. Requests get promises resolved by a reply that names the
 * request, typed by the protocol; everything else is a one-way event. No `vscode`, no DOM, no Node.
 */

/** Every message of a panel protocol has a string discriminant. */
export interface Message {
  readonly type: string;
}

/**
 * What the other side answers to requests of `T`: a map from message type to reply type. Message
 * types that are not keys are events only; `NoReplies` is a protocol side without requests.
 */
export type Replies<T extends Message> = { readonly [K in T['type']]?: unknown };
export type NoReplies = Record<never, never>;

/** The types of `T` that are requests (the other side replies to them). */
export type RequestType<T extends Message, R> = keyof R & T['type'];

/** The message of type `K`. */
export type MessageOf<T extends Message, K extends T['type']> = T & { readonly type: K };

/** Sends a request and resolves with the reply the protocol declares for it. */
export type Requester<TOut extends Message, R extends Replies<TOut>> = <K extends RequestType<TOut, R>>(
  message: MessageOf<TOut, K>,
) => Promise<R[K]>;

/** One handler per request type, each resolving with what the protocol says that request is answered with. */
export type RequestHandlers<TIn extends Message, R extends Replies<TIn>> = {
  readonly [K in RequestType<TIn, R>]: (message: MessageOf<TIn, K>) => Promise<R[K]>;
};

/** A channel's `onRequest` from per-type handlers; a message of any other type is refused. */
export function answering<TIn extends Message, R extends Replies<TIn>>(
  handlers: RequestHandlers<TIn, R>,
): (message: TIn) => Promise<unknown> {
  const byType = handlers as unknown as Readonly<Record<string, (message: TIn) => Promise<unknown>>>;
  return (message) =>
    Object.hasOwn(byType, message.type)
      ? byType[message.type](message)
      : Promise.reject(new Error(`${message.type} is not a request`));
}

/** A requester answered in the same process by per-type handlers: the other side faked, in tests and benchmarks. */
export function requester<T extends Message, R extends Replies<T>>(handlers: RequestHandlers<T, R>): Requester<T, R> {
  const answer = answering(handlers);
  return <K extends RequestType<T, R>>(message: MessageOf<T, K>) => answer(message) as Promise<R[K]>;
}

/** The envelope on the wire: an event, a request awaiting a reply, or a reply. */
export type Envelope<T extends Message> =
  | { readonly kind: 'event'; readonly body: T }
  | { readonly kind: 'request'; readonly id: number; readonly body: T }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: string };

export interface ChannelHandlers<TIn extends Message> {
  /** A one-way message from the other side. */
  onEvent(message: TIn): void;
  /** A request from the other side; its result (or thrown error) is sent back as the reply. */
  onRequest(message: TIn): Promise<unknown>;
  /** Whether a received body is a well-formed `TIn`: every message is validated on receipt. */
  isMessage(value: unknown): value is TIn;
  /** Something arrived that is not a valid envelope or message; it is dropped. */
  onInvalid?(reason: string): void;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** One end of a channel: sends `TOut` (the other side answers requests as `TReplies` says), receives `TIn`. */
export class MessageChannel<TOut extends Message, TIn extends Message, TReplies extends Replies<TOut> = NoReplies> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(
    private readonly post: (envelope: Envelope<TOut>) => void,
    private readonly handlers: ChannelHandlers<TIn>,
  ) {}

  send(message: TOut): void {
    this.post({ kind: 'event', body: message });
  }

  /** Sends a request; resolves with the other side's reply, of the type the protocol declares for it. */
  request<K extends RequestType<TOut, TReplies>>(message: MessageOf<TOut, K>): Promise<TReplies[K]> {
    const id = this.nextId++;
    return new Promise<TReplies[K]>((resolve, reject) => {
      // The one place a reply gets its type: the other side's handler answers with what the protocol says.
      this.pending.set(id, { resolve: (value) => resolve(value as TReplies[K]), reject });
      this.post({ kind: 'request', id, body: message });
    });
  }

  /** Feed every received message here. Never throws. */
  receive(raw: unknown): void {
    if (!isObject(raw)) return this.invalid('not an object');
    const { kind, id } = raw;
    if (kind === 'reply') {
      const waiter = typeof id === 'number' ? this.pending.get(id) : undefined;
      if (!waiter) return this.invalid(`reply to unknown request ${String(id)}`);
      this.pending.delete(id as number);
      if (raw['ok'] === true) waiter.resolve(raw['body']);
      else waiter.reject(new Error(typeof raw['error'] === 'string' ? raw['error'] : 'request failed'));
      return;
    }
    if (kind !== 'event' && kind !== 'request') return this.invalid(`unknown envelope kind ${String(kind)}`);
    if (!this.handlers.isMessage(raw['body'])) return this.invalid('malformed message body');
    const body = raw['body'];
    if (kind === 'event') {
      this.handlers.onEvent(body);
      return;
    }
    if (typeof id !== 'number') return this.invalid('request without an id');
    this.handlers.onRequest(body).then(
      (result) => this.post({ kind: 'reply', id, ok: true, body: result }),
      (error: unknown) =>
        this.post({ kind: 'reply', id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Rejects every request still waiting, e.g. when the panel closes. */
  dispose(): void {
    for (const waiter of this.pending.values()) waiter.reject(new Error('the channel was closed'));
    this.pending.clear();
  }

  private invalid(reason: string): void {
    this.handlers.onInvalid?.(reason);
  }
}
