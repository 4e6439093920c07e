import './media.css';
import type { MediaHostMessage, MediaViewMessage, MediaViewReplies } from '../../shared/mediaProtocol';
import { DEFAULT_VIEW, isMediaHostMessage, isMediaView } from '../../shared/mediaProtocol';
import { connectToHost, getWebviewState, setWebviewState } from '../common/host';
import { MediaPage } from './mediaPage';

// The Media panel's webview: the page (mediaPage.ts) over the channel to the host. What a reload
// restores (the runs, each key's step, the mode, the pair, the size) is the webview state.

const saved = getWebviewState() as { view?: unknown } | undefined;
const view = isMediaView(saved?.view) ? { ...DEFAULT_VIEW, ...saved.view } : DEFAULT_VIEW;

const channel = connectToHost<MediaViewMessage, MediaHostMessage, MediaViewReplies>({
  isMessage: isMediaHostMessage,
  onEvent: (message) => page.receive(message),
  onRequest: () => Promise.reject(new Error('the media page answers no requests')),
  onInvalid: (reason) => page.showError(`dropped a message from the extension (${reason})`),
});
// Messages arrive as window events, after this script has run: `page` exists by then.
const page = new MediaPage(
  document.getElementById('app') ?? document.body,
  {
    request: channel.request.bind(channel),
    send: (message) => channel.send(message),
    save: (state) => setWebviewState(state),
  },
  view,
);

channel.send({ type: 'ready' });
