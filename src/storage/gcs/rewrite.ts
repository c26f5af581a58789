import type { File, FileMetadata } from '@google-cloud/storage';

export interface RewriteParams {
  ifSourceGenerationMatch?: string;
  ifGenerationMatch?: string;
  maxBytesRewrittenPerCall?: number;
  destinationKmsKeyName?: string;
}

interface RewriteResponse {
  done?: boolean;
  rewriteToken?: string;
  totalBytesRewritten?: string;
  objectSize?: string;
  resource?: FileMetadata;
}

/**
 * objects.rewrite from `source` to `bucket/name`, calling again with the
 * returned `rewriteToken` until the server answers `done` (large objects,
 * or a change of location or storage class, take several calls). Every call
 * repeats the same parameters and destination resource, as the API requires.
 * The SDK's `file.copy` follows the token too, but cannot send
 * `ifSourceGenerationMatch` nor cap the bytes per call.
 */
export async function rewriteObject(
  source: File,
  destination: { bucket: string; name: string },
  params: RewriteParams,
  resource: FileMetadata,
): Promise<{ resource: FileMetadata; calls: number }> {
  const qs: Record<string, string | number> = {};
  if (params.ifSourceGenerationMatch !== undefined)
    qs['ifSourceGenerationMatch'] = params.ifSourceGenerationMatch;
  if (params.ifGenerationMatch !== undefined) qs['ifGenerationMatch'] = params.ifGenerationMatch;
  if (params.maxBytesRewrittenPerCall !== undefined)
    qs['maxBytesRewrittenPerCall'] = params.maxBytesRewrittenPerCall;
  if (params.destinationKmsKeyName !== undefined) qs['destinationKmsKeyName'] = params.destinationKmsKeyName;
  const uri = `/rewriteTo/b/${destination.bucket}/o/${encodeURIComponent(destination.name)}`;
  let token: string | undefined;
  for (let calls = 1; ; calls++) {
    const [body] = (await source.request({
      method: 'POST',
      uri,
      qs: token ? { ...qs, rewriteToken: token } : qs,
      json: resource,
    })) as [RewriteResponse, unknown];
    if (body.done && body.resource) return { resource: body.resource, calls };
    if (!body.rewriteToken) {
      throw new Error(
        `rewrite to ${destination.bucket}/${destination.name} answered neither done nor a rewriteToken`,
      );
    }
    token = body.rewriteToken;
  }
}
