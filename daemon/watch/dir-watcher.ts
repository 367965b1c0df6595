// Linux: one inotify watch per directory (fs.watch, not recursive), never one per file. The daemon needs only "something
// under this root changed" — which file is the scan's business — and inotify on a directory already reports every
// create, write, attribute change, delete and rename of the files in it. chokidar, by contrast, stats and watches each
// file: for a 50,000-file root it held ~100 MB more RSS, used 50,000 inotify watches (the per-user limit is often
// lower) and blocked the event loop ~1.6 s during its first crawl. Here the crawl reads directories only, one
// readdir at a time, so the loop stays free; a directory created later is watched when its parent reports it.
// Links are never followed, other file systems never entered (like the scan).
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** What RootWatcher uses of a watcher: chokidar's FSWatcher has the same shape. */
export interface HintWatcher {
  on(event: 'all', fn: (event: string, path: string) => void): this;
  on(event: 'ready', fn: () => void): this;
  on(event: 'error', fn: (err: unknown) => void): this;
  close(): Promise<void>;
}

export class DirWatcher extends EventEmitter implements HintWatcher {
  /** The root with its own links resolved, as the scan resolves it (pipeline/scan-app.ts): a configured root may be
   * a link (/opt/app -> /opt/app-1.2), and add() refuses links — without this nothing at all would be watched. */
  private top: string | undefined;
  /** Each watch with the inode it was made on: a path deleted and made again (rm -rf; mkdir) is another directory. */
  private readonly watchers = new Map<string, { readonly watch: FSWatcher; readonly ino: number }>();
  private device: number | undefined;
  private closed = false;
  private failed = false;

  constructor(root: string) {
    super();
    void realpath(root)
      .then((top) => this.crawl((this.top = top)))
      .then(
        () => this.closed || this.failed || this.emit('ready'),
        (err: unknown) => this.fail(err),
      );
  }

  /** Directories watched now. */
  get size(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.watchers.values()) w.watch.close();
    this.watchers.clear();
  }

  /** Watches `top` and every directory under it, breadth-first, one readdir at a time. */
  private async crawl(top: string): Promise<void> {
    const queue = [top];
    for (let i = 0; i < queue.length && !this.closed && !this.failed; i++) {
      const dir = queue[i] as string;
      if (!(await this.add(dir))) continue;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue; // gone or unreadable since: its parent's watch reports what happens to it
      }
      for (const e of entries) if (e.isDirectory()) queue.push(join(dir, e.name));
    }
  }

  /** One watch on `dir` (a directory on the root's file system, not a link); false if it is not one or is watched. */
  private async add(dir: string): Promise<boolean> {
    let st;
    try {
      st = await lstat(dir);
    } catch (err) {
      // Deeper than a path can name (PATH_MAX): it cannot be watched. Its arrival is a change (a scan now records
      // what is there); later changes under it are the scheduled rescans' — failing the whole root instead would
      // let anyone who can write below it put the root in slow polling for good.
      if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') this.emit('all', 'addDir', dir);
      return false;
    }
    if (!st.isDirectory() || this.closed) return false;
    this.device ??= st.dev;
    if (st.dev !== this.device) return false;
    const watched = this.watchers.get(dir);
    if (watched?.ino === st.ino) return false;
    // The path now names another directory (deleted or moved away, and made again): its old watches see nothing here.
    if (watched) this.drop(dir);
    try {
      const w = watch(dir, { persistent: true }, (event, name) => this.event(dir, event, name));
      w.on('error', (err) => this.lost(dir, err));
      this.watchers.set(dir, { watch: w, ino: st.ino });
      return true;
    } catch (err) {
      // ENOSPC (the inotify watch limit), EMFILE: RootWatcher falls back to rescans.
      this.fail(err);
      return false;
    }
  }

  private event(dir: string, event: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const path = name === null ? dir : join(dir, name.toString());
    this.emit('all', event, path);
    // A directory created or moved in: watch it and what is under it. One moved away or deleted: drop its watches.
    if (event === 'rename' && path !== dir) void this.renamed(path);
  }

  private async renamed(path: string): Promise<void> {
    const exists = await lstat(path).then((s) => s.isDirectory(), () => false);
    // Whatever watches the path had are on the directory that was there before (deleted or moved away, maybe with
    // the same inode number reused): watch what is there now, afresh.
    this.drop(path);
    if (exists) await this.crawl(path).catch((err: unknown) => this.fail(err));
  }

  /** A watched directory that went away: close its watch and those under it. */
  private drop(path: string): void {
    for (const [dir, w] of this.watchers) {
      if (dir === path || dir.startsWith(path + sep)) {
        w.watch.close();
        this.watchers.delete(dir);
      }
    }
  }

  private lost(dir: string, err: unknown): void {
    // The root's own watch failing is the watcher failing; a subdirectory's (deleted under us) is not.
    if (dir === this.top) this.fail(err);
    else this.drop(dir);
  }

  private fail(err: unknown): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.emit('error', err);
  }
}
