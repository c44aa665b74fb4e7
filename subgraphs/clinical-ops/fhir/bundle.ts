/**
 * A FHIR R4 searchset Bundle of exported resources: each entry with its full URL and search mode
 * `match`, `total` the number of matches (which may exceed the entries of one page).
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { fullUrlOf } from './systems.js';

export function searchsetBundle<T extends Resource & { id: string }>(resources: readonly T[], total: number, bundleId: string, timestamp = new Date()): Bundle<T> & { id: string } {
  return {
    resourceType: 'Bundle',
    id: bundleId,
    type: 'searchset',
    timestamp: timestamp.toISOString(),
    total,
    entry: resources.map((resource) => ({ fullUrl: fullUrlOf(resource.resourceType, resource.id), resource, search: { mode: 'match' } })),
  };
}
