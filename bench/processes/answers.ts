/** How the load generators classify an answer (shared by load.ts and flood.ts, which import nothing else of each other). */

/** Whether an answer is the gateway's rate-limit refusal: 429 with the RATE_LIMITED code. */
export const isRateLimitRefusal = (status: number, body: string): boolean => status === 429 && body.includes('"RATE_LIMITED"');

/** Whether an answer is a full success: 2xx and no GraphQL `errors`. */
export const isCleanAnswer = (status: number, body: string): boolean => status >= 200 && status < 300 && !body.includes('"errors"');
