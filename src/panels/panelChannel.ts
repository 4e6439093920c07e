import type * as vscode from 'vscode';
import type { ChannelHandlers, Message, NoReplies, Replies } from '../../shared/messaging';
import { MessageChannel } from '../../shared/messaging';

/**
 * The host's end of a panel protocol: one `MessageChannel` over the webview's `postMessage`, every
 * received message validated by the panel's `isMessage` (invalid ones are logged and dropped).
 * Disposed with the panel; pending requests then reject.
 */
export function connectToWebview<TOut extends Message, TIn extends Message, TReplies extends Replies<TOut> = NoReplies>(
  panel: vscode.WebviewPanel,
  handlers: ChannelHandlers<TIn>,
): MessageChannel<TOut, TIn, TReplies> {
  const channel = new MessageChannel<TOut, TIn, TReplies>((envelope) => {
    // A message posted while the panel is hidden or closing is lost; the webview asks again on show.
    void panel.webview.postMessage(envelope).then(undefined, () => undefined);
  }, handlers);
  const subscription = panel.webview.onDidReceiveMessage((message: unknown) => channel.receive(message));
  panel.onDidDispose(() => {
    subscription.dispose();
    channel.dispose();
  });
  return channel;
}
