// Browser half of table.test.ts: the table viewer (webview/table/tableView.ts) against a fake host.
import '../../webview/table/table.css';
import { requester } from '../../shared/messaging';
import type { TableFormat } from '../../shared/tableData';
import type { TableReport, TableViewMessage, TableViewReplies } from '../../shared/tableProtocol';
import { TableView } from '../../webview/table/tableView';

const exported: string[] = [];
const reports: TableReport[] = [];
const app = document.createElement('div');
app.id = 'app';
document.body.append(app);
const view = new TableView(app, {
  request: requester<TableViewMessage, TableViewReplies>({
    exportCsv: (message) => {
      exported.push(message.csv);
      return Promise.resolve(`/tmp/${message.name}`);
    },
  }),
  send: (message) => {
    if (message.type === 'rendered') reports.push(message.report);
  },
});

(globalThis as Record<string, unknown>)['harness'] = {
  exported,
  reports,
  show(name: string, format: TableFormat, text: string, base: string | null): void {
    view.show({ name, format, data: new TextEncoder().encode(text), base });
  },
  apply(filter: string): void {
    view.apply({ filter });
  },
  report: (): TableReport => view.report(),
  injected: (): unknown => (globalThis as Record<string, unknown>)['injected'],
};
