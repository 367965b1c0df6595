// Request bodies of the HTTP sinks, each in its service's documented format. Pure.
//   ClickHouse:  INSERT INTO table FORMAT JSONEachRow — one flat JSON object per line (ClickHouse 18.16 reads no nested
//                objects: `file.hash.sha256` is a column name), DateTime as Unix seconds, booleans as 0/1, arrays as
//                comma-joined text (array columns sharing a dotted prefix would be one Nested structure to ClickHouse).
//   Elasticsearch/OpenSearch _bulk: an action line and a source line per event, every line newline-terminated
//                ("create" with _id = event.id: a batch sent twice adds nothing, and data streams accept it).
//   Splunk HEC /services/collector/event: one envelope per event (time, host, source, sourcetype, [index], event),
//                concatenated; HEC reads them one after another.
import { type EcsEvent } from './ecs.ts';

/** Nested objects as dotted keys ({file:{hash:{sha256}}} → "file.hash.sha256"); arrays of objects as JSON text. */
export function flatten(value: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined || v === null) continue;
    if (typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else if (Array.isArray(v)) out[key] = v.every((x) => typeof x !== 'object' || x === null) ? v : JSON.stringify(v);
    else if (typeof v === 'boolean') out[key] = v ? 1 : 0;
    else out[key] = v;
  }
  return out;
}

export function clickhouseRow(e: EcsEvent): Record<string, unknown> {
  const row = flatten(e);
  for (const [k, v] of Object.entries(row)) if (Array.isArray(v)) row[k] = v.join(',');
  row['@timestamp'] = Math.floor(Date.parse(e['@timestamp']) / 1000);
  return row;
}

export function clickhouseBody(events: readonly EcsEvent[]): string {
  return events.map((e) => `${JSON.stringify(clickhouseRow(e))}\n`).join('');
}

export function clickhouseQuery(table: string): string {
  return `INSERT INTO ${table} FORMAT JSONEachRow`;
}

export function bulkBody(events: readonly EcsEvent[], index: string): string {
  return events.map((e) => `${JSON.stringify({ create: { _index: index, _id: e.event.id } })}\n${JSON.stringify(e)}\n`).join('');
}

export function hecBody(events: readonly EcsEvent[], index: string | undefined): string {
  return events
    .map((e) => {
      const host = (e.host as { name?: string } | undefined)?.name ?? '';
      const envelope = { time: Date.parse(e['@timestamp']) / 1000, host, source: 'sealwatch', sourcetype: `sealwatch:${e.event.dataset.replace(/^sealwatch\./, '')}`, ...(index ? { index } : {}), event: e };
      return `${JSON.stringify(envelope)}\n`;
    })
    .join('');
}

export function ndjsonBody(events: readonly EcsEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}
