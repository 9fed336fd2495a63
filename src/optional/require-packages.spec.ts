import { describe, expect, it } from 'vitest';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';
import { requirePackages } from './require-packages.js';

describe('requirePackages', () => {
  it('passes when every package is there, imported or only located', async () => {
    await expect(
      requirePackages('graphql: true', ['graphql', '@nestjs/graphql']),
    ).resolves.toBeUndefined();
    await expect(
      requirePackages('ide: true', ['graphiql', 'react'], 'locate'),
    ).resolves.toBeUndefined();
  });

  it('names every missing package, and the npm install line, in one error', async () => {
    const failure = requirePackages('graphql: true', [
      'graphql',
      'no-such-package-for-clicks',
      '@no-such-scope/clicks-part',
    ]);
    await expect(failure).rejects.toThrow(WhatsAppClicksConfigError);
    await expect(failure).rejects.toThrow(
      'WhatsAppClicksModule: graphql: true needs no-such-package-for-clicks, @no-such-scope/clicks-part, not installed: npm install no-such-package-for-clicks @no-such-scope/clicks-part',
    );
    await expect(requirePackages('ide: true', ['no-such-ide-package'], 'locate')).rejects.toThrow(
      'ide: true needs no-such-ide-package',
    );
  });
});
