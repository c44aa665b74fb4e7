/** The contract between clinical-ops (which keeps break-glass grants) and the gateway (which checks a presented one). */

/** What clinical-ops answers for a presented grant: only a live grant of this principal in this tenant. */
export interface BreakGlassGrantLookup {
  grant: { id: string; reason: string; patientIds: string[]; expiresAt: number } | null;
}
