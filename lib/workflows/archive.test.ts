/**
 * The purge's deletion order: every table before the tables it references, whatever order the
 * catalogue lists them in; references leaving the list, or to the table itself, do not constrain;
 * a cycle, which no table-by-table purge could delete, is refused.
 */
import { describe, expect, it } from 'vitest';
import { deletionOrder } from './archive.js';

describe('deletionOrder', () => {
  it('puts each table before the tables it references', () => {
    const references = [
      { referencing: 'appointments', referenced: 'patients' },
      { referencing: 'phi_access_log', referenced: 'break_glass_grants' },
      { referencing: 'claims', referenced: 'appointments' },
    ];
    const order = deletionOrder(['appointments', 'break_glass_grants', 'claims', 'patients', 'phi_access_log'], references);
    for (const { referencing, referenced } of references) expect(order.indexOf(referencing), `${referencing} → ${referenced}`).toBeLessThan(order.indexOf(referenced));
    expect(order).toEqual(['claims', 'phi_access_log', 'appointments', 'break_glass_grants', 'patients']);
  });

  it('ignores references to tables outside the list and to the table itself', () => {
    expect(deletionOrder(['members', 'steps'], [
      { referencing: 'members', referenced: 'tenants' },
      { referencing: 'steps', referenced: 'steps' },
    ])).toEqual(['members', 'steps']);
  });

  it('refuses tables that reference each other in a cycle', () => {
    expect(() => deletionOrder(['a', 'b', 'c'], [
      { referencing: 'a', referenced: 'b' },
      { referencing: 'b', referenced: 'a' },
    ])).toThrow('Tables a, b reference each other in a cycle');
  });
});
