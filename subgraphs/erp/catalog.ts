/**
 * The commercial catalog as invoices read it: which version prices a date, and the price of a
 * plan, add-on or meter in a version and currency. Loaded whole (it is a few hundred rows) once
 * per billing run, so every line of a run reads the same catalog.
 */
import type { Tx } from '../../lib/db/index.js';
import type { IsoDate } from './billing-math.js';

export interface MeterPrice {
  includedQuantity: number;
  blockSize: number;
  blockPriceMinor: number;
}

export interface Catalog {
  /** The version in effect on `date` (the latest that took effect on or before it). */
  versionOn(date: IsoDate): number;
  planPrice(plan: string, version: number, currency: string): number;
  addonPrice(addon: string, version: number, currency: string): number;
  meterPrice(plan: string, meter: string, version: number, currency: string): MeterPrice;
  planFeatures(plan: string): readonly string[];
  addonFeatures(addon: string): readonly string[];
  planName(plan: string): string;
  addonName(addon: string): string;
  isPlan(code: string): boolean;
  isAddon(code: string): boolean;
  isMeter(code: string): boolean;
  isCurrency(code: string): boolean;
  issuerOf(currency: string): string;
  /** For a bundle: the add-ons it stands for. */
  bundled(addon: string): readonly string[];
}

function lookup<T>(map: Map<string, T>, key: string, what: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(`The catalog has no ${what} for ${key}`);
  return value;
}

export async function loadCatalog(tx: Tx): Promise<Catalog> {
  const [versions, plans, planPrices, addons, addonPrices, meters, meterPrices, currencies] = await Promise.all([
    tx.query<{ version: number; effective_from: string }>(`SELECT version, effective_from::text FROM catalog_versions ORDER BY effective_from DESC`),
    tx.query<{ code: string; name: string; features: string[] }>('SELECT code, name, features FROM plans'),
    tx.query<{ plan_code: string; version: number; currency: string; monthly_price_minor: string }>('SELECT plan_code, version, currency, monthly_price_minor FROM plan_prices'),
    tx.query<{ code: string; name: string; features: string[]; includes: string[] }>('SELECT code, name, features, includes FROM addons'),
    tx.query<{ addon_code: string; version: number; currency: string; monthly_price_minor: string }>('SELECT addon_code, version, currency, monthly_price_minor FROM addon_prices'),
    tx.query<{ code: string }>('SELECT code FROM meters'),
    tx.query<{ plan_code: string; version: number; currency: string; meter: string; included_quantity: string; block_size: number; block_price_minor: string }>(
      'SELECT plan_code, version, currency, meter, included_quantity, block_size, block_price_minor FROM plan_meter_prices',
    ),
    tx.query<{ code: string; issuer: string }>('SELECT code, issuer FROM currencies'),
  ]);
  const planById = new Map(plans.map((p) => [p.code, p]));
  const addonById = new Map(addons.map((a) => [a.code, a]));
  const planPrice = new Map(planPrices.map((p) => [`${p.plan_code}|${p.version}|${p.currency}`, Number(p.monthly_price_minor)]));
  const addonPrice = new Map(addonPrices.map((p) => [`${p.addon_code}|${p.version}|${p.currency}`, Number(p.monthly_price_minor)]));
  const meterPrice = new Map(
    meterPrices.map((p) => [
      `${p.plan_code}|${p.meter}|${p.version}|${p.currency}`,
      { includedQuantity: Number(p.included_quantity), blockSize: p.block_size, blockPriceMinor: Number(p.block_price_minor) },
    ]),
  );
  const meterCodes = new Set(meters.map((m) => m.code));
  const issuers = new Map(currencies.map((c) => [c.code, c.issuer]));
  return {
    versionOn(date) {
      const found = versions.find((v) => v.effective_from <= date);
      if (!found) throw new Error(`No catalog version is in effect on ${date}`);
      return found.version;
    },
    planPrice: (plan, version, currency) => lookup(planPrice, `${plan}|${version}|${currency}`, 'plan price'),
    addonPrice: (addon, version, currency) => lookup(addonPrice, `${addon}|${version}|${currency}`, 'add-on price'),
    meterPrice: (plan, meter, version, currency) => lookup(meterPrice, `${plan}|${meter}|${version}|${currency}`, 'meter price'),
    planFeatures: (plan) => lookup(planById, plan, 'plan').features,
    addonFeatures: (addon) => lookup(addonById, addon, 'add-on').features,
    planName: (plan) => lookup(planById, plan, 'plan').name,
    addonName: (addon) => lookup(addonById, addon, 'add-on').name,
    isPlan: (code) => planById.has(code),
    isAddon: (code) => addonById.has(code),
    isMeter: (code) => meterCodes.has(code),
    isCurrency: (code) => issuers.has(code),
    issuerOf: (currency) => lookup(issuers, currency, 'issuer'),
    bundled: (addon) => lookup(addonById, addon, 'add-on').includes,
  };
}
