import type { Migration } from '@tamkeen/db';
import { notifications } from './0001_notifications.js';
import { templates } from './0002_templates.js';
import { notificationContent } from './0003_notification_content.js';
import { delivery } from './0004_delivery.js';
import { organisationLimits } from './0005_organisation_limits.js';
import { organisationWebhooks } from './0006_organisation_webhooks.js';

/** Every migration of the notifications database, in order. Append; never edit one that has shipped. */
export const migrations: Migration[] = [notifications, templates, notificationContent, delivery, organisationLimits, organisationWebhooks];
