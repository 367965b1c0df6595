// Where alerts go: one configured destination (config `alerts[]`, with url_env / secret_env already resolved).
import { type Severity } from '../shared/findings.ts';

export type AlertType = 'generic' | 'slack' | 'teams' | 'discord';

export const ALERT_TYPES: readonly AlertType[] = ['generic', 'slack', 'teams', 'discord'];

export interface AlertDestination {
  /** Stable id: the config's `name:` field, or "alerts[N]". Stored with every outbox row; never the URL. */
  readonly name: string;
  readonly type: AlertType;
  /** A secret in itself (chat webhook URLs carry their token): never logged, stored only in the config. */
  readonly url: string;
  /** HMAC key of the generic destination's signature header. */
  readonly secret?: string;
  readonly minSeverity: Severity;
}
