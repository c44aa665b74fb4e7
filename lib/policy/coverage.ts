/**
 * Policy coverage: every field of the supergraph carries a policy decision. A field either has
 * a policy directive (`@phi`, `@entitled`, `@scopes`, on itself, its type or an interface it
 * implements) or is listed in `schema/policy-coverage.json` as reviewed-public with a
 * one-line reason. Fields whose name suggests patient data must be `@phi` unless the same file
 * says, with a reason, why they are not. The coverage test and `npm run compose` read this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  buildASTSchema,
  isInterfaceType,
  isObjectType,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLField,
} from 'graphql';
import { policyMapOf } from './spec.js';

export const COVERAGE_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/policy-coverage.json');

/** The reviewed decisions: `Type.field` → one-line reason. */
export interface ReviewedFields {
  /** Fields readable by anyone who can reach them (their parent field carries the policy). */
  public: Record<string, string>;
  /** Fields whose name looks like patient data but that are not PHI. */
  notPhi: Record<string, string>;
}

export type PolicyKind = 'phi' | 'entitled' | 'scopes' | 'public';

export interface CoverageReport {
  /** Fields per decision kind (a field with several directives counts under its strongest). */
  byKind: Record<PolicyKind, number>;
  /** Fields with no directive and no review entry. */
  uncovered: string[];
  /** Fields that look like patient data and are neither `@phi` nor reviewed as not PHI. */
  suspectedPhi: string[];
  /** Review entries that name no field, or a field that now has a directive (public) / is PHI (notPhi). */
  stale: string[];
}

/** Names that identify a patient or their care wherever they appear. */
const PATIENT_DATA_ANYWHERE = /(given|family|first|last|middle)Name|birth|dob|mrn|ssn|socialSecurity|diagnos|medication|allerg/i;
/**
 * Names that are patient data on a clinical type (one owned by clinical-ops): names, contact
 * details, identifiers, times, durations, statuses, reasons and notes.
 */
const PATIENT_DATA_ON_CLINICAL_TYPES =
  /name|email|phone|address|contact|mrn|identifier|patientIds?$|startsAt|endsAt|At$|time|date|duration|status|reason|note|comment/i;
const CLINICAL_GRAPH = 'CLINICAL_OPS';

/** Reads schema/policy-coverage.json. */
export function readReviewedFields(file = COVERAGE_PATH): ReviewedFields {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ReviewedFields>;
  return { public: parsed.public ?? {}, notPhi: parsed.notPhi ?? {} };
}

/** Judges every field of `supergraphSdl` against its policies and the reviewed list. */
export function policyCoverage(supergraphSdl: string, reviewed: ReviewedFields): CoverageReport {
  const document = parse(supergraphSdl);
  const schema = buildASTSchema(document, { assumeValidSDL: true });
  const policies = policyMapOf(document);
  const owners = ownerGraphs(document);
  const report: CoverageReport = { byKind: { phi: 0, entitled: 0, scopes: 0, public: 0 }, uncovered: [], suspectedPhi: [], stale: [] };
  const seen = new Set<string>();

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    if (type.name.startsWith('__') || type.name.startsWith('join__') || type.name.startsWith('link__') || type.name === '_Service') continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      if (field.name.startsWith('_')) continue; // federation's _entities and _service
      const key = `${type.name}.${field.name}`;
      seen.add(key);
      const policy = policies.get(key);
      if (policy) {
        report.byKind[policy.phi ? 'phi' : policy.entitlements.length > 0 ? 'entitled' : 'scopes'] += 1;
        if (key in reviewed.public) report.stale.push(`public: ${key} has a policy directive now`);
      } else if (key in reviewed.public) {
        report.byKind.public += 1;
      } else {
        report.uncovered.push(key);
      }
      const clinical = (owners.get(key) ?? owners.get(type.name) ?? []).includes(CLINICAL_GRAPH);
      const looksLikePatientData = PATIENT_DATA_ANYWHERE.test(field.name) || (clinical && PATIENT_DATA_ON_CLINICAL_TYPES.test(field.name));
      if (policy?.phi) {
        if (key in reviewed.notPhi) report.stale.push(`notPhi: ${key} is @phi`);
      } else if (looksLikePatientData && !(key in reviewed.notPhi)) {
        report.suspectedPhi.push(key);
      }
    }
  }
  for (const key of [...Object.keys(reviewed.public), ...Object.keys(reviewed.notPhi)]) {
    if (!seen.has(key)) report.stale.push(`${key} is not a field of the supergraph`);
  }
  for (const [key, reason] of [...Object.entries(reviewed.public), ...Object.entries(reviewed.notPhi)]) {
    if (typeof reason !== 'string' || reason.trim().length < 10) report.stale.push(`${key} needs a one-line reason`);
  }
  return report;
}

/** One line per kind, for `npm run compose`. */
export function formatCoverage(report: CoverageReport): string {
  const total = Object.values(report.byKind).reduce((a, b) => a + b, 0) + report.uncovered.length;
  const lines = [
    `policy coverage: ${total} fields — @phi ${report.byKind.phi}, @entitled ${report.byKind.entitled}, @scopes ${report.byKind.scopes}, reviewed public ${report.byKind.public}, uncovered ${report.uncovered.length}`,
  ];
  if (report.uncovered.length) lines.push(`  no policy and not reviewed: ${report.uncovered.join(', ')}`);
  if (report.suspectedPhi.length) lines.push(`  looks like patient data but is not @phi: ${report.suspectedPhi.join(', ')}`);
  if (report.stale.length) lines.push(`  stale review entries: ${report.stale.join('; ')}`);
  return lines.join('\n');
}

/** `Type` or `Type.field` → the graphs that resolve it (from @join__type / @join__field). */
function ownerGraphs(document: DocumentNode): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  const graphsOf = (directives: readonly ConstDirectiveNode[] | undefined, name: string) =>
    (directives ?? [])
      .filter((d) => d.name.value === name)
      .flatMap((d) => d.arguments?.filter((a) => a.name.value === 'graph').map((a) => (a.value.kind === Kind.ENUM ? a.value.value : '')) ?? []);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    owners.set(definition.name.value, graphsOf(definition.directives, 'join__type'));
    for (const field of definition.fields ?? []) {
      const graphs = graphsOf(field.directives, 'join__field');
      if (graphs.length > 0) owners.set(`${definition.name.value}.${field.name.value}`, graphs);
    }
  }
  return owners;
}
