// Small shared shapes of the daemon's run loop.
/** What started a scan (stored with the snapshot). Start-up reconciliation and cron rescans are 'schedule'. */
export type ScanTrigger = 'watch' | 'schedule';
/** What the queue holds for an app: a trigger, or the scheduled full rescan — stored as 'schedule', it re-reads and
 * re-hashes every file instead of trusting the stat cache (a rewrite can keep size, mtime, even ctime and inode). */
export type QueuedScan = ScanTrigger | 'deep';
