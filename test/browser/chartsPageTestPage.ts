// Browser half of chartsPage.test.ts: the Charts panel's whole page (its toolbar, legend, sections
// and cards) against the fake host of chartsPageHost.ts, which has to come first.
import './chartsPageHost';
import '../../webview/charts/main';
