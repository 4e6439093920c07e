import type { ChannelHandlers, Envelope, Message, NoReplies, Replies } from '../../shared/messaging';
import { MessageChannel } from '../../shared/messaging';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one `acquireVsCodeApi()` per page. */
let api: VsCodeApi | undefined;
function vscodeApi(): VsCodeApi {
  api ??= acquireVsCodeApi();
  return api;
}

/**
 * The webview's end of a panel protocol: one `MessageChannel` over `postMessage`, fed by the
 * window's `message` events (validated on receipt by the panel's `isMessage`), plus the webview
 * state VS Code keeps across reloads.
 */
export function connectToHost<TOut extends Message, TIn extends Message, TReplies extends Replies<TOut> = NoReplies>(
  handlers: ChannelHandlers<TIn>,
): MessageChannel<TOut, TIn, TReplies> {
  const vscode = vscodeApi();
  const channel = new MessageChannel<TOut, TIn, TReplies>(
    (envelope: Envelope<TOut>) => vscode.postMessage(envelope),
    handlers,
  );
  window.addEventListener('message', (event: MessageEvent<unknown>) => channel.receive(event.data));
  return channel;
}

export function getWebviewState(): unknown {
  return vscodeApi().getState();
}

export function setWebviewState(state: unknown): void {
  vscodeApi().setState(state);
}

/** An element with text set through `textContent` only: user text never becomes markup. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  for (const child of children) node.append(child);
  return node;
}
