// Small shared shapes of the daemon's run loop.
/** What started a scan (stored with the snapshot). Start-up reconciliation and cron rescans are 'schedule'. */
export type ScanTrigger = 'watch' | 'schedule';
