/**
 * What every notification becomes (GCS CloudEvent, Pub/Sub push, S3 event,
 * folder watcher, `switchyard enqueue`). An event is a notification, not the
 * truth: the router stats the object as it is now.
 */
export interface ObjectEvent {
  /** Source project; when absent it is resolved from the referential by bucket. */
  project?: string;
  bucket: string;
  key: string;
  /** Generation the notification speaks of, when the payload carries one. */
  generation?: string;
  size?: number;
  crc32c?: string;
  md5?: string;
  /** ISO time of the event. */
  eventTime?: string;
  /** The sender's id for this notification (CloudEvent id, S3 sequencer, …). */
  eventId?: string;
  /** Which kind of notification it came from. */
  origin: 'gcs' | 's3' | 'fs' | 'manual' | 'scan';
}
