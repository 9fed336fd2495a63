import { createRequire } from 'node:module';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';

const require = createRequire(import.meta.url);

/** The package a module-not-found error is about, when it is one. */
function missingPackage(error: unknown): string | null {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return null;
  return /Cannot find (?:package|module) '([^']+)'/.exec(message ?? '')?.[1] ?? null;
}

/**
 * Fails with one message naming every package to install when `feature` (an option the host
 * turned on) cannot load. `import`: the packages are loaded (they are about to be anyway);
 * `locate`: only found, for browser files that Node must never load.
 */
export async function requirePackages(
  feature: string,
  names: readonly string[],
  how: 'import' | 'locate' = 'import',
): Promise<void> {
  const missing = new Set<string>();
  for (const name of names) {
    try {
      if (how === 'import') await import(name);
      else require.resolve(`${name}/package.json`);
    } catch (error) {
      const absent = missingPackage(error);
      if (absent === null) throw error;
      missing.add(
        absent.startsWith('@') ? absent.split('/').slice(0, 2).join('/') : absent.split('/')[0]!,
      );
    }
  }
  if (missing.size > 0) {
    const list = [...missing];
    throw new WhatsAppClicksConfigError(
      `WhatsAppClicksModule: ${feature} needs ${list.join(', ')}, not installed: npm install ${list.join(' ')}`,
    );
  }
}
