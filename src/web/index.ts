export { renderPage, renderFragment, html, PAGE_CSP } from './html.js';
export { renderRunReport, runBody, type Links } from './run-page.js';
export { loadRunPageData, readLogExcerpt, type RunPageData, type LogExcerpt } from './run-data.js';
export { matrixRows, type MatrixRow, type MatrixLabel } from './matrix.js';
export { reproduceCommand, reproduceArgs, shellQuote } from './reproduce.js';
export { startServer, type ServeOptions, type RunningServer } from './server.js';
export { barChart, passFailStrip, durationPlot } from './svg.js';
