/**
 * The demo fleet's clinical records beyond patients and appointments (lib/demo/fleet.ts has
 * those): each tenant's providers and locations, which of them each demo appointment is booked
 * with — first-fit, so no provider or location holds two overlapping visits — and patients'
 * coverages. Deterministic: the same tenant always gets the same records. Synthetic and obviously
 * so, like the rest of the fleet.
 */
import { demoRandom, demoUuid, type DemoAppointment, type DemoPatient, type DemoTenant } from '../../lib/demo/fleet.js';
import { isValidNpi } from './providers.js';
import { firstFit } from './scheduling.js';

export interface DemoProvider {
  id: string;
  npi: string;
  name: string;
  specialty: string;
}

export interface DemoLocation {
  id: string;
  name: string;
  timezone: string;
}

export interface DemoCoverage {
  id: string;
  patientId: string;
  payerId: string;
  memberId: string;
  groupNumber: string | null;
  planName: string;
  relationship: 'self' | 'spouse' | 'child';
  startDate: string;
  endDate: string | null;
  status: 'active' | 'ended';
}

export interface DemoRecords {
  providers: DemoProvider[];
  locations: DemoLocation[];
  /** Appointment id → its provider and location. */
  bookings: Map<string, { providerId: string; locationId: string }>;
  coverages: DemoCoverage[];
}

const MIN_PROVIDERS = 3;
const MIN_LOCATIONS = 2;
const SPECIALTIES: Record<DemoTenant['segment'], string[]> = {
  ambulatory: ['Family medicine', 'Internal medicine', 'Pediatrics'],
  diagnostics: ['Radiology', 'Pathology', 'Nuclear medicine'],
  behavioral_health: ['Psychiatry', 'Clinical psychology', 'Counseling'],
  home_health: ['Home health nursing', 'Physical therapy', 'Occupational therapy'],
  specialty: ['Cardiology', 'Orthopedic surgery', 'Dermatology'],
};
const PROVIDER_GIVEN = ['Avery', 'Blake', 'Cameron', 'Dana', 'Emery', 'Finley', 'Harper', 'Kendall', 'Logan', 'Parker'];
const SITES = ['Main site', 'North annex', 'Riverside office', 'East wing', 'Satellite clinic', 'West campus'];
const TIME_ZONES: Record<string, string> = { 'us-east': 'America/New_York', 'us-west': 'America/Los_Angeles', 'eu-west': 'Europe/Dublin' };
const PLANS = ['Silver PPO', 'Gold HMO', 'Bronze EPO', 'Platinum PPO'];

/** A valid NPI from nine digits: the check digit appended. */
export function withNpiCheckDigit(nine: string): string {
  for (let digit = 0; digit <= 9; digit++) if (isValidNpi(`${nine}${digit}`)) return `${nine}${digit}`;
  throw new Error(`withNpiCheckDigit: ${nine} is not nine digits`);
}

const digits = (random: (n: number) => number, count: number) => Array.from({ length: count }, () => String(random(10))).join('');
/** Letters a Medicare Beneficiary Identifier may hold (no S, L, O, I, B, Z). */
const MBI_LETTERS = 'ACDEFGHJKMNPQRTUVWXY';

/** A member id in the payer's format (the directory's patterns, migration 011). */
function memberId(payerId: string, random: (n: number) => number): string {
  const letter = () => MBI_LETTERS[random(MBI_LETTERS.length)]!;
  switch (payerId) {
    case 'acme-health':
      return `ACM${digits(random, 9)}`;
    case 'bluepeak':
      return `BP${digits(random, 8)}${letter()}`;
    case 'northstar-care':
      return `NS-${digits(random, 4)}-${digits(random, 6)}`;
    default:
      // medicare-sim: 1 digit 1–9, letter, letter or digit, digit, letter, letter or digit, digit, two letters, two digits.
      return `${1 + random(9)}${letter()}${letter()}${random(10)}${letter()}${random(10)}${random(10)}${letter()}${letter()}${digits(random, 2)}`;
  }
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);
const daysBefore = (anchor: Date, days: number) => isoDate(new Date(anchor.getTime() - days * 86_400_000));

/** The tenant's providers, locations, bookings and coverages, for its demo patients and appointments booked around `anchor`. */
export function demoRecords(tenant: DemoTenant, patients: readonly DemoPatient[], appointments: readonly DemoAppointment[], anchor: Date): DemoRecords {
  const random = demoRandom(`records:${tenant.index}`);
  const slots = appointments.map((a) => ({ ...a, startsAt: new Date(anchor.getTime() + a.offsetMinutes * 60_000) }));
  // A canceled visit occupied nobody; every other one did (no-shows too: the provider waited).
  const holds = (slot: DemoAppointment) => slot.status !== 'canceled';
  const providerOf = firstFit(slots, { resources: MIN_PROVIDERS, holds, prefer: () => random(MIN_PROVIDERS) });
  const locationOf = firstFit(slots, { resources: MIN_LOCATIONS, holds, prefer: () => random(MIN_LOCATIONS) });
  const providerCount = Math.max(MIN_PROVIDERS, ...providerOf.map((i) => i + 1));
  const locationCount = Math.max(MIN_LOCATIONS, ...locationOf.map((i) => i + 1));
  const specialties = SPECIALTIES[tenant.segment];
  const providers = Array.from({ length: providerCount }, (_, i) => ({
    id: demoUuid(`provider:${tenant.index}:${i + 1}`),
    // 1 + tenant (4 digits) + provider (4 digits), unique per tenant and across the fleet.
    npi: withNpiCheckDigit(`1${String(tenant.index % 10_000).padStart(4, '0')}${String(i + 1).padStart(4, '0')}`),
    name: `Dr. ${PROVIDER_GIVEN[(tenant.index + i) % PROVIDER_GIVEN.length]} Demo-Provider ${i + 1}`,
    specialty: specialties[i % specialties.length]!,
  }));
  const locations = Array.from({ length: locationCount }, (_, i) => ({
    id: demoUuid(`location:${tenant.index}:${i + 1}`),
    name: i < SITES.length ? SITES[i]! : `Site ${i + 1}`,
    timezone: TIME_ZONES[tenant.region] ?? 'UTC',
  }));
  const bookings = new Map(appointments.map((a, i) => [a.id, { providerId: providers[providerOf[i]!]!.id, locationId: locations[locationOf[i]!]!.id }]));

  const coverages: DemoCoverage[] = [];
  patients.forEach((patient, i) => {
    // One in six patients is uninsured (self-pay).
    if (random(6) === 0) return;
    const senior = Number(patient.birthDate.slice(0, 4)) <= anchor.getUTCFullYear() - 65;
    const payerId = senior ? 'medicare-sim' : (['acme-health', 'bluepeak', 'northstar-care'] as const)[random(3)]!;
    const relationship = senior ? 'self' : (['self', 'self', 'self', 'spouse', 'child'] as const)[random(5)]!;
    const plan = PLANS[random(PLANS.length)]!;
    const current: DemoCoverage = {
      id: demoUuid(`coverage:${tenant.index}:${i + 1}:current`),
      patientId: patient.id,
      payerId,
      memberId: memberId(payerId, random),
      groupNumber: payerId === 'medicare-sim' ? null : `GRP-${digits(random, 5)}`,
      planName: payerId === 'medicare-sim' ? 'Original Medicare (simulated)' : plan,
      relationship,
      startDate: daysBefore(anchor, 30 + random(900)),
      endDate: null,
      status: 'active',
    };
    coverages.push(current);
    // One in five had an earlier coverage, ended the day before the current one began.
    if (random(5) === 0) {
      const previousPayer = (['acme-health', 'bluepeak', 'northstar-care'] as const)[random(3)]!;
      const endDate = daysBefore(new Date(`${current.startDate}T00:00:00Z`), 1);
      coverages.push({
        id: demoUuid(`coverage:${tenant.index}:${i + 1}:previous`),
        patientId: patient.id,
        payerId: previousPayer,
        memberId: memberId(previousPayer, random),
        groupNumber: `GRP-${digits(random, 5)}`,
        planName: PLANS[random(PLANS.length)]!,
        relationship: 'self',
        startDate: daysBefore(new Date(`${endDate}T00:00:00Z`), 365 + random(700)),
        endDate,
        status: 'ended',
      });
    }
  });
  return { providers, locations, bookings, coverages };
}
