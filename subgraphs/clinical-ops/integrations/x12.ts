/**
 * What the two payer connectors share: the system-neutral patient and provider of their
 * payloads, and how they become X12 fields with the tenant's mapping (its payer ids, which
 * provider identifier it sends), dates and amounts as X12 writes them.
 */
import { z } from 'zod';
import type { EffectiveMapping } from './mapping.js';

/** `YYYY-MM-DD`, a real calendar date. */
export const isoDate = z.iso.date();

/** The patient as the workflows know them (PHI: sent to the payer, nowhere else). */
export const patientSchema = z.object({
  givenName: z.string().trim().min(1).max(60),
  familyName: z.string().trim().min(1).max(60),
  birthDate: isoDate,
});
export type NeutralPatient = z.infer<typeof patientSchema>;

/** The provider as the workflows know them: NPI always, the federal tax id where a tenant's payers want it. */
export const providerSchema = z.object({
  npi: z.string().regex(/^\d{10}$/),
  name: z.string().trim().min(1).max(120),
  taxId: z.string().regex(/^\d{2}-?\d{7}$/).optional(),
});
export type NeutralProvider = z.infer<typeof providerSchema>;

/** `2024-03-07` → `20240307`. */
export const x12DateOf = (date: string): string => date.replaceAll('-', '');

/** The payer directory id for the tenant's code: its mapping's, else the code itself (already a directory id). */
export const directoryPayerId = (mapping: EffectiveMapping, payerId: string): string => mapping.payerIds[payerId] ?? payerId;

/**
 * The provider as the payer identifies them, by the tenant's field map: NPI (qualifier XX) or
 * federal tax id (FI). Null when the map asks for a tax id the payload does not carry.
 */
export function providerIdentification(mapping: EffectiveMapping, provider: NeutralProvider) {
  if (mapping.fieldMap.providerId === 'tax_id') {
    if (!provider.taxId) return null;
    return { name: provider.name, identifierQualifier: 'FI' as const, identifier: provider.taxId };
  }
  return { name: provider.name, identifierQualifier: 'XX' as const, identifier: provider.npi };
}

/** An X12 amount (`25`, `25.5`, `1500.00`, or a JSON number) in minor units, exactly. */
export function minorUnitsOf(amount: string | number): number {
  if (typeof amount === 'number') return Math.round(amount * 100);
  const [whole = '0', fraction = ''] = amount.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** Minor units as an X12 amount with two decimals: 12550 → `125.50`. */
export const amountOf = (minor: number): string => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
