// How values are shown: times in Rome time whatever the browser's zone, statuses in words.

const romeTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Rome',
  dateStyle: 'medium',
  timeStyle: 'medium',
});

/** An ISO 8601 instant (UTC "Z" from the live channel, or Rome offset from REST) in Rome time. */
export function formatRome(iso) {
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? String(iso) : romeTime.format(time);
}

/** The report statuses the API accepts, in their order of work, with their labels. */
export const STATUSES = [
  ['open', 'Open'],
  ['in_progress', 'In progress'],
  ['resolved', 'Resolved'],
  ['rejected', 'Rejected'],
];

export function statusLabel(status) {
  return STATUSES.find(([value]) => value === status)?.[1] ?? status;
}
