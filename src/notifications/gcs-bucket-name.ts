/**
 * The rule a name breaks to be refused as a Cloud Storage bucket name, or
 * undefined when GCS could have created it (the naming rules of
 * https://cloud.google.com/storage/docs/buckets#naming). A notification that
 * says it comes from GCS and names another bucket was not written by GCS: a
 * template's placeholder (`BUCKET_NAME`) or a forgery, refused by name.
 */
export function gcsBucketNameRule(name: string): string | undefined {
  if (!/^[a-z0-9._-]+$/.test(name))
    return 'a bucket name holds only lowercase letters, digits, dashes (-), underscores (_) and dots (.)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name))
    return 'a bucket name starts and ends with a lowercase letter or a digit';
  if (name.includes('.')) {
    if (name.length < 3 || name.length > 222) return 'a bucket name with dots has 3 to 222 characters';
    if (name.split('.').some((part) => part.length === 0 || part.length > 63))
      return 'each dot-separated part of a bucket name has 1 to 63 characters';
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'a bucket name is not an IP address';
  } else if (name.length < 3 || name.length > 63) {
    return 'a bucket name has 3 to 63 characters';
  }
  if (name.startsWith('goog')) return 'a bucket name does not begin with "goog"';
  if (name.includes('google')) return 'a bucket name does not contain "google"';
  return undefined;
}
