/**
 * The one message transport between the extension host and a webview. Each panel declares two
 * discriminated unions in its own protocol file (what the host sends, what the webview sends) and
 * both sides wrap their `postMessage` in a `MessageChannel`. Requests get promises resolved by a
 * reply that names the request; everything else is a one-way event. No `vscode`, no DOM, no Node.
 */

/** Every message of a panel protocol has a string discriminant. */
export interface Message {
  readonly type: string;
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

export class MessageChannel<TOut extends Message, TIn extends Message> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(
    private readonly post: (envelope: Envelope<TOut>) => void,
    private readonly handlers: ChannelHandlers<TIn>,
  ) {}

  send(message: TOut): void {
    this.post({ kind: 'event', body: message });
  }

  /** Sends a request; `R` is what the other side's handler returns for this message type. */
  request<R>(message: TOut): Promise<R> {
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: (value) => resolve(value as R), reject });
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
