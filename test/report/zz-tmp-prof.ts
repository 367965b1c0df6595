import { launch } from './browser.ts';
const b = await launch();
for (let i = 0; i < 2; i++) {
  const p = await b.newPage();
  await p.setViewport({ width: 1280, height: 1000 });
  const t = Date.now();
  await p.goto('file:///tmp/sealwatch-report-bench-shYZNb/report.html', { waitUntil: 'load' });
  await p.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const wall = Date.now() - t;
  console.log(wall, await p.evaluate('JSON.stringify((({responseEnd, domInteractive, domContentLoadedEventEnd, loadEventEnd}) => ({responseEnd, domInteractive, domContentLoadedEventEnd, loadEventEnd}))(performance.getEntriesByType("navigation")[0].toJSON())) + " elements " + document.getElementsByTagName("*").length'));
  await p.close();
}
await b.close();
