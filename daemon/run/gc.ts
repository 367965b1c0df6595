// A full garbage collection when the daemon goes idle (after a scan, after the watchers' first crawl). A scan of
// 100,000 files or the crawl of a watched tree leaves tens of MB of garbage that V8, with nothing more to do, may
// not collect for hours; the daemon then sits idle at its peak. Collected at these moments, idle RSS is what is live.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
