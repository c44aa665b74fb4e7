/**
 * Request bodies as every HTTP front of the platform reads them: JSON, capped in size, cut off
 * (not buffered) past the cap, and refused with a registered error.
 */
import type http from 'node:http';
import { BadUserInputError, PayloadTooLargeError } from '../errors.js';

/**
 * Reads a JSON body of at most `limit` bytes. A declared length over the limit is refused
 * before a byte is read; a streamed body is cut off as soon as it passes the limit.
 */
export function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () => new PayloadTooLargeError(`Request body exceeds ${limit} bytes`, { limit });
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onFailure).off('close', onFailure);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop reading: the rest is never buffered; the answer closes the connection.
      req.pause();
      settle(() => reject(tooLarge()));
    };
    const onEnd = () =>
      settle(() => {
        if (size === 0) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks, size).toString('utf8')));
        } catch {
          reject(new BadUserInputError('Request body is not valid JSON'));
        }
      });
    const onFailure = () => settle(() => reject(new BadUserInputError('Request body ended before it was complete')));
    req.on('data', onData).on('end', onEnd).on('error', onFailure).on('close', onFailure);
  });
}
