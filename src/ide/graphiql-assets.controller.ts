import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import { join } from 'node:path';
import { packageDir, type PackageFile, servePackageFile } from '../http/package-files.js';

/** Where the IDE's files are served from: not under /graphql, which Apollo answers. */
export const GRAPHIQL_ASSETS_PATH = 'graphiql';

/**
 * The browser builds of GraphiQL and React, from node_modules: the IDE loads with no internet.
 * A fixed list, never a directory listing.
 */
const ASSETS: Record<string, PackageFile> = {
  'graphiql.min.js': {
    path: () => join(packageDir('graphiql'), 'graphiql.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'graphiql.min.css': {
    path: () => join(packageDir('graphiql'), 'graphiql.min.css'),
    type: 'text/css; charset=utf-8',
  },
  'react.production.min.js': {
    path: () => join(packageDir('react'), 'umd', 'react.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'react-dom.production.min.js': {
    path: () => join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

@Controller(GRAPHIQL_ASSETS_PATH)
export class GraphiqlAssetsController {
  @Get(':file')
  @Header('Cache-Control', 'public, max-age=86400')
  asset(@Param('file') file: string): StreamableFile {
    return servePackageFile(ASSETS, file, 'IDE asset');
  }
}
