import { NotFoundException, StreamableFile } from '@nestjs/common';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** A file of an installed package, served to browsers under a fixed name. */
export interface PackageFile {
  path: () => string;
  type: string;
}

/** Where an installed package is (found through its package.json). */
export const packageDir = (name: string): string =>
  dirname(require.resolve(`${name}/package.json`));

/** `file` of a fixed list as a response, or a 404 that names it: never a directory listing. */
export function servePackageFile(
  files: Readonly<Record<string, PackageFile>>,
  file: string,
  what: string,
): StreamableFile {
  const found = Object.hasOwn(files, file) ? files[file] : undefined;
  if (!found) throw new NotFoundException(`no ${what} named ${file}`);
  return new StreamableFile(createReadStream(found.path()), { type: found.type });
}
