/**
 * The demo fleet: a deterministic description of tenants, partners and their clinical data,
 * the same on every run for the same count. Each subgraph's `seed.ts` writes its own part.
 * Every person in it is synthetic and obviously so (example.test addresses, 555-01xx
 * numbers, family names such as "Sample"), so the demo can never be mistaken for PHI.
 */
import { createHash } from 'node:crypto';

export const SEGMENTS = ['ambulatory', 'diagnostics', 'behavioral_health', 'home_health', 'specialty'] as const;
export const TIERS = ['standard', 'enhanced', 'critical'] as const;
export const REGIONS = ['us-east', 'us-west', 'eu-west'] as const;

export interface DemoPartner {
  id: string;
  slug: string;
  name: string;
  brandName: string;
  /** Scopes the partner's API keys may carry (`partners.allowed_scopes`). */
  allowedScopes: string[];
}

export interface DemoTenant {
  index: number;
  id: string;
  slug: string;
  name: string;
  segment: (typeof SEGMENTS)[number];
  tier: (typeof TIERS)[number];
  region: string;
  placement: 'pooled' | 'isolated';
  cohort: 'canary' | 'early' | 'general';
  status: 'provisioning' | 'active' | 'suspended';
  partnerId: string | null;
  planCode: 'standard' | 'premium' | 'enterprise';
  subscriptionStatus: 'trialing' | 'active' | 'past_due';
  /** Days before the anchor on which the tenant was created and subscribed. */
  ageDays: number;
  patientCount: number;
  /** Per-mille of requests that fail in the telemetry history. */
  errorPerMille: number;
}

export interface DemoFleet {
  partners: DemoPartner[];
  tenants: DemoTenant[];
}

/** A UUID derived from a name: the same name always gives the same id. */
export function demoUuid(name: string): string {
  const hex = createHash('sha256').update(`caregraph-demo:${name}`).digest('hex');
  // Shape it as a version-4, RFC 4122 variant UUID so every validator accepts it.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Deterministic pseudo-random integers in [0, n) for a name. */
export function demoRandom(name: string): (n: number) => number {
  let state = createHash('sha256').update(name).digest().readUInt32LE(0) || 1;
  return (n) => {
    // xorshift32: fast, deterministic, good enough for demo data.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

const PLACES = ['Northwind', 'Riverbend', 'Cedar Hill', 'Lakeside', 'Oakridge', 'Harborview', 'Maple Grove', 'Summit', 'Bayfront', 'Pinecrest', 'Brookfield', 'Stonegate'];
const KINDS: Record<DemoTenant['segment'], string[]> = {
  ambulatory: ['Family Clinic', 'Primary Care', 'Health Center'],
  diagnostics: ['Imaging', 'Diagnostics', 'Laboratory'],
  behavioral_health: ['Behavioral Health', 'Counseling Center', 'Wellness Practice'],
  home_health: ['Home Health', 'Visiting Nurses', 'Home Care'],
  specialty: ['Cardiology', 'Orthopedics', 'Dermatology'],
};

/**
 * MediBridge resells billing and analytics and integrates no clinical data; CarePath's
 * scheduling integration reads clinical data (patient ids, appointments), so the platform
 * allows its keys clinical:read.
 */
export const DEMO_PARTNERS: DemoPartner[] = [
  {
    id: demoUuid('partner:1'),
    slug: 'medibridge',
    name: 'MediBridge Solutions',
    brandName: 'MediBridge Clinic Cloud',
    allowedScopes: ['tenant:read', 'billing:read', 'telemetry:read'],
  },
  {
    id: demoUuid('partner:2'),
    slug: 'carepath-resellers',
    name: 'CarePath Resellers',
    brandName: 'CarePath One',
    allowedScopes: ['tenant:read', 'billing:read', 'clinical:read', 'telemetry:read'],
  },
];

/** The fleet of `count` tenants (tenant i is the same whatever the count). */
export function demoFleet(count: number): DemoFleet {
  const tenants: DemoTenant[] = [];
  for (let index = 1; index <= count; index++) tenants.push(demoTenant(index));
  return { partners: DEMO_PARTNERS, tenants };
}

function demoTenant(index: number): DemoTenant {
  const random = demoRandom(`tenant:${index}`);
  const segment = SEGMENTS[(index - 1) % SEGMENTS.length]!;
  const tier: DemoTenant['tier'] = index % 7 === 0 ? 'critical' : index % 3 === 0 ? 'enhanced' : 'standard';
  const kinds = KINDS[segment];
  const name = `${PLACES[random(PLACES.length)]} ${kinds[random(kinds.length)]}`;
  const planCode = tier === 'critical' ? 'enterprise' : tier === 'enhanced' ? 'premium' : index % 5 === 0 ? 'premium' : 'standard';
  return {
    index,
    id: demoUuid(`tenant:${index}`),
    slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${String(index).padStart(3, '0')}`,
    name,
    segment,
    tier,
    region: REGIONS[index % REGIONS.length]!,
    // Critical tenants get dedicated databases; one in three enhanced tenants does too.
    placement: tier === 'critical' || (tier === 'enhanced' && index % 9 === 0) ? 'isolated' : 'pooled',
    cohort: index <= 2 ? 'canary' : index % 6 === 1 ? 'early' : 'general',
    status: index % 19 === 0 ? 'suspended' : index % 23 === 0 ? 'provisioning' : 'active',
    // Partner 1 resells every fourth tenant, partner 2 every fourth shifted by two.
    partnerId: index % 4 === 0 ? DEMO_PARTNERS[0]!.id : index % 4 === 2 ? DEMO_PARTNERS[1]!.id : null,
    planCode,
    subscriptionStatus: index % 23 === 0 ? 'trialing' : index % 17 === 0 ? 'past_due' : 'active',
    ageDays: 30 + random(700),
    patientCount: 12 + random(36),
    errorPerMille: index % 11 === 0 ? 40 + random(60) : random(15),
  };
}

export interface DemoPatient {
  id: string;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  email: string;
  phone: string;
}

const GIVEN = ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie', 'Robin', 'Avery', 'Quinn', 'Drew'];
const FAMILY = ['Sample', 'Example', 'Placeholder', 'Testcase', 'Fictive', 'Demo'];

/** The synthetic patients of one tenant. */
export function demoPatients(tenant: DemoTenant): DemoPatient[] {
  const random = demoRandom(`patients:${tenant.index}`);
  return Array.from({ length: tenant.patientCount }, (_, i) => {
    const givenName = GIVEN[random(GIVEN.length)]!;
    const familyName = FAMILY[random(FAMILY.length)]!;
    const mrn = `DEMO-${String(tenant.index).padStart(4, '0')}-${String(i + 1).padStart(5, '0')}`;
    return {
      id: demoUuid(`patient:${tenant.index}:${i + 1}`),
      mrn,
      givenName,
      familyName,
      birthDate: `${1940 + random(70)}-${String(1 + random(12)).padStart(2, '0')}-${String(1 + random(28)).padStart(2, '0')}`,
      email: `${givenName.toLowerCase()}.${familyName.toLowerCase()}.${mrn.toLowerCase()}@example.test`,
      phone: `+1-555-01${String(random(100)).padStart(2, '0')}`,
    };
  });
}

export interface DemoAppointment {
  id: string;
  patientId: string;
  /** Minutes from the anchor (negative: in the past). */
  offsetMinutes: number;
  durationMinutes: number;
  status: 'scheduled' | 'completed' | 'canceled' | 'no_show';
  reason: string;
}

const REASONS = ['Follow-up visit', 'Annual check-up', 'Lab review', 'Consultation', 'Therapy session', 'Imaging review'];

/** Two appointments per patient: one in the past, one upcoming (some canceled). */
export function demoAppointments(tenant: DemoTenant, patients: DemoPatient[]): DemoAppointment[] {
  const random = demoRandom(`appointments:${tenant.index}`);
  return patients.flatMap((patient, i) => {
    const past: DemoAppointment = {
      id: demoUuid(`appointment:${tenant.index}:${i + 1}:past`),
      patientId: patient.id,
      offsetMinutes: -(60 * 24 * (1 + random(90))) + random(8) * 60,
      durationMinutes: 15 + 15 * random(4),
      status: random(10) === 0 ? 'no_show' : 'completed',
      reason: REASONS[random(REASONS.length)]!,
    };
    const upcoming: DemoAppointment = {
      id: demoUuid(`appointment:${tenant.index}:${i + 1}:next`),
      patientId: patient.id,
      offsetMinutes: 60 * 24 * (1 + random(60)) + random(8) * 60,
      durationMinutes: 15 + 15 * random(4),
      status: random(8) === 0 ? 'canceled' : 'scheduled',
      reason: REASONS[random(REASONS.length)]!,
    };
    return [past, upcoming];
  });
}
