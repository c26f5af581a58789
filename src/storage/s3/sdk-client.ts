import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * The AWS SDK's S3 client, imported and built on first use: reads, uploads,
 * part copies and version listings need it, the routing hot path (the lean
 * client) does not, and importing the SDK costs ~0.3–0.5 s of start-up.
 */
export class LazyS3Client {
  private client: Promise<S3Client> | undefined;
  private built: S3Client | undefined;
  private closed = false;

  constructor(private readonly config: S3ClientConfig) {}

  get(): Promise<S3Client> {
    this.client ??= import('@aws-sdk/client-s3').then(({ S3Client }) => {
      this.built = new S3Client(this.config);
      if (this.closed) this.built.destroy();
      return this.built;
    });
    return this.client;
  }

  /** Closes the client's sockets, if it was ever built. */
  destroy(): void {
    this.closed = true;
    this.built?.destroy();
  }
}
