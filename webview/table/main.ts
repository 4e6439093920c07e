import './table.css';
import type { TableHostMessage, TableViewMessage, TableViewReplies } from '../../shared/tableProtocol';
import { isTableHostMessage } from '../../shared/tableProtocol';
import { connectToHost } from '../common/host';
import { TableView } from './tableView';

// The table viewer's webview (a custom editor of `.json` tables, `.csv` and `.tsv`): the view over
// the channel to the host, which sends the file's bytes again when the file changes.

const channel = connectToHost<TableViewMessage, TableHostMessage, TableViewReplies>({
  isMessage: isTableHostMessage,
  onEvent: (message) => {
    if (message.type === 'table') view.show(message.file);
    else if (message.type === 'problem') view.fail(message.message);
    else {
      if (message.filter !== undefined) view.apply({ filter: message.filter });
      if (message.sort !== undefined) {
        if (message.sort === null) view.apply({ sort: null });
        else view.sortBy(message.sort.column, message.sort.descending);
      }
    }
  },
  onRequest: () => Promise.reject(new Error('the table viewer answers no requests')),
  onInvalid: (reason) => view.fail(`dropped a message from the extension (${reason})`),
});
// Messages arrive as window events, after this script has run: `view` exists by then.
const view = new TableView(document.getElementById('app') ?? document.body, {
  request: channel.request.bind(channel),
  send: (message) => channel.send(message),
});
channel.send({ type: 'ready' });
