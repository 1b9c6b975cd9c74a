/** What a reminder says on each channel: its title, its description, and the document it is about. */
import type { ClaimedReminder } from "./reminders.ts";

type Content = Pick<ClaimedReminder, "title" | "description" | "document_title" | "remind_at">;

export function emailText(reminder: Content): { subject: string; text: string } {
  const lines = [reminder.title];
  if (reminder.description) lines.push("", reminder.description);
  if (reminder.document_title) lines.push("", `Document: ${reminder.document_title}`);
  lines.push("", `Due: ${reminder.remind_at.toISOString()}`);
  return { subject: `Reminder: ${reminder.title}`, text: lines.join("\n") };
}

export function smsText(reminder: Content): string {
  const parts = [`Reminder: ${reminder.title}`];
  if (reminder.document_title) parts.push(`(${reminder.document_title})`);
  if (reminder.description) parts.push(`- ${reminder.description}`);
  return parts.join(" ");
}

export function pushText(reminder: Content): { title: string; body: string } {
  const body = reminder.description ?? (reminder.document_title ? `Document: ${reminder.document_title}` : "");
  return { title: reminder.title, body: body.slice(0, 1000) };
}
