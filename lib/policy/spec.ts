/**
 * The platform's policy spec (schema/policy-v1.0.graphql): where it lives, the roles and
 * scopes it speaks of, and how a field's policy is read from a schema's AST.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InterfaceTypeDefinitionNode,
  type InterfaceTypeExtensionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type ValueNode,
} from 'graphql';

export const POLICY_SPEC_URL = 'https://caregraph.dev/policy/v1.0';
export const POLICY_SPEC_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/policy-v1.0.graphql');

/** The directive definitions, appended to every subgraph's SDL when it is loaded. */
export const POLICY_DIRECTIVES_SDL = fs.readFileSync(POLICY_SPEC_PATH, 'utf8');

export const ROLES = ['platform_admin', 'support', 'analyst', 'tenant_admin', 'clinician', 'biller', 'partner_admin'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that act across tenants (platform level) and may act on any tenant. */
export const PLATFORM_ROLES: readonly Role[] = ['platform_admin', 'support', 'analyst'];
/** Roles that may read PHI when they also hold the PHI scope. */
export const CLINICAL_ROLES: readonly Role[] = ['clinician'];
/** Roles that may declare an emergency purpose to read PHI they otherwise could not (audited). */
export const BREAK_GLASS_ROLES: readonly Role[] = ['clinician', 'tenant_admin', 'support'];
export const PHI_SCOPE = 'phi:read';

export const SCOPES = [
  'tenant:read',
  'billing:read',
  'clinical:read',
  'telemetry:read',
  PHI_SCOPE,
  'keys:manage',
  /** Security events (break-glass declarations) and the control plane's audit log, for review: platform admins. */
  'audit:read',
  /** The control plane's writes: tenant lifecycle, governance. Platform admins. */
  'tenants:manage',
  /** Subscription changes and payments (erp): platform admins, and a tenant's admins and billers for their own tenant. */
  'billing:manage',
  /**
   * Clinical records' writes (patients, providers, locations, appointments, coverages), at tenant
   * level only: a tenant's clinicians and admins. Never on an API key, and no platform role holds it.
   */
  'clinical:write',
] as const;

/** Scopes a token gets by default for each role (the development issuer uses them). */
export const DEFAULT_ROLE_SCOPES: Readonly<Record<Role, readonly string[]>> = {
  platform_admin: ['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read', 'keys:manage', 'audit:read', 'tenants:manage', 'billing:manage'],
  support: ['tenant:read', 'clinical:read', 'telemetry:read'],
  analyst: ['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read'],
  tenant_admin: ['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read', 'billing:manage', 'clinical:write'],
  clinician: ['tenant:read', 'clinical:read', PHI_SCOPE, 'clinical:write'],
  biller: ['tenant:read', 'billing:read', 'billing:manage'],
  partner_admin: ['tenant:read', 'billing:read', 'telemetry:read', 'keys:manage'],
};

/** Scopes a partner API key may carry (never PHI: keys have no clinical role). */
export const API_KEY_SCOPES = ['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read'] as const;

/** What a schema says about reading one field. */
export interface FieldPolicy {
  /** Features the tenant must hold (all of them). */
  entitlements: string[];
  /** OR of ANDs; empty: no scope needed. */
  scopes: string[][];
  phi: boolean;
}

const EMPTY: FieldPolicy = Object.freeze({ entitlements: [], scopes: [], phi: false });

/** `Type.field` → policy, for every field (or type) that carries a policy directive. */
export type PolicyMap = ReadonlyMap<string, FieldPolicy>;

/** Reads the policy directives of every object type and field in `document`. */
export function policyMapOf(document: DocumentNode): PolicyMap {
  const typePolicies = new Map<string, FieldPolicy>();
  const fieldPolicies = new Map<string, FieldPolicy>();
  // Interfaces too: a policy on an interface field binds every read through that interface.
  const objects = document.definitions.filter(
    (d): d is ObjectTypeDefinitionNode | ObjectTypeExtensionNode | InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode =>
      d.kind === Kind.OBJECT_TYPE_DEFINITION ||
      d.kind === Kind.OBJECT_TYPE_EXTENSION ||
      d.kind === Kind.INTERFACE_TYPE_DEFINITION ||
      d.kind === Kind.INTERFACE_TYPE_EXTENSION,
  );
  for (const object of objects) {
    const own = readPolicy(object.directives ?? []);
    if (own) typePolicies.set(object.name.value, merge(typePolicies.get(object.name.value) ?? EMPTY, own));
  }
  for (const object of objects) {
    const typePolicy = typePolicies.get(object.name.value);
    for (const field of object.fields ?? ([] as readonly FieldDefinitionNode[])) {
      const own = readPolicy(field.directives ?? []);
      const combined = own && typePolicy ? merge(typePolicy, own) : (own ?? typePolicy);
      if (combined) {
        const key = `${object.name.value}.${field.name.value}`;
        fieldPolicies.set(key, merge(fieldPolicies.get(key) ?? EMPTY, combined));
      }
    }
  }
  // A policy declared on an interface field binds the same field of every implementing type,
  // so a read through the concrete type (`... on Impl { field }`, or a resolver of Impl) is
  // judged exactly like a read through the interface.
  const interfacesOf = new Map<string, Set<string>>();
  for (const object of objects) {
    if (object.kind !== Kind.OBJECT_TYPE_DEFINITION && object.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const set = interfacesOf.get(object.name.value) ?? new Set<string>();
    for (const named of object.interfaces ?? []) set.add(named.name.value);
    interfacesOf.set(object.name.value, set);
  }
  for (const [typeName, interfaces] of interfacesOf) {
    const fieldNames = new Set(
      objects.filter((o) => o.name.value === typeName).flatMap((o) => (o.fields ?? []).map((f) => f.name.value)),
    );
    for (const interfaceName of interfaces) {
      for (const fieldName of fieldNames) {
        const inherited = fieldPolicies.get(`${interfaceName}.${fieldName}`);
        if (!inherited) continue;
        const key = `${typeName}.${fieldName}`;
        fieldPolicies.set(key, merge(fieldPolicies.get(key) ?? EMPTY, inherited));
      }
    }
  }
  return fieldPolicies;
}

function readPolicy(directives: readonly ConstDirectiveNode[]): FieldPolicy | undefined {
  let policy: FieldPolicy | undefined;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'entitled' && name !== 'scopes' && name !== 'phi') continue;
    policy ??= { entitlements: [], scopes: [], phi: false };
    const arg = (argName: string) => directive.arguments?.find((a) => a.name.value === argName)?.value;
    if (name === 'entitled') policy.entitlements.push(String(valueOf(arg('feature'))));
    if (name === 'scopes') policy.scopes.push(...(valueOf(arg('anyOf')) as string[][]));
    if (name === 'phi') policy.phi = true;
  }
  return policy;
}

function merge(a: FieldPolicy, b: FieldPolicy): FieldPolicy {
  return {
    entitlements: [...new Set([...a.entitlements, ...b.entitlements])],
    // Both sets of alternatives must be met: combine each pair (AND of ORs → OR of ANDs).
    scopes:
      a.scopes.length === 0 ? b.scopes : b.scopes.length === 0 ? a.scopes : a.scopes.flatMap((x) => b.scopes.map((y) => [...x, ...y])),
    phi: a.phi || b.phi,
  };
}

function valueOf(node: ValueNode | undefined): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.LIST:
      return node.values.map(valueOf);
    case Kind.BOOLEAN:
      return node.value;
    default:
      return undefined;
  }
}
