// The body a destination receives, built once when the alert is queued and sent byte for byte on every attempt.
import { type AlertContent } from './content.ts';
import { type AlertType } from './destination.ts';
import { discordPayload } from './payload-discord.ts';
import { genericPayload } from './payload-generic.ts';
import { slackPayload } from './payload-slack.ts';
import { teamsPayload } from './payload-teams.ts';

export function alertBody(type: AlertType, c: AlertContent, deliveryId: string): string {
  switch (type) {
    case 'generic':
      return JSON.stringify(genericPayload(c, deliveryId));
    case 'slack':
      return JSON.stringify(slackPayload(c));
    case 'teams':
      return JSON.stringify(teamsPayload(c));
    case 'discord':
      return JSON.stringify(discordPayload(c));
  }
}
