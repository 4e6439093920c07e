// Browser half of runsTable.test.ts: the runs table's page (webview/runsTable/main.ts) against a
// fake host. The page connects to its host as it loads: the fake host's module comes first.
import './runsTableFakeHost';
import '../../webview/runsTable/main';
