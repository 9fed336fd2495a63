import { join } from 'node:path';
import { packageDir, type PackageFile } from '../http/package-files.js';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The dashboard's browser files: its own (in this package's `src/dashboard/public/`, found
 * through the package's own name, so the same from `src/`, `dist/` and an installed tarball),
 * uPlot's and graphql-ws's browser builds from node_modules. A fixed list, never a directory.
 */
export const DASHBOARD_ASSETS: Readonly<Record<string, PackageFile>> = {
  'dashboard.js': {
    path: () => join(packageDir('nestjs-whatsapp-clicks'), 'src/dashboard/public/dashboard.js'),
    type: JS,
  },
  'dashboard-view.js': {
    path: () =>
      join(packageDir('nestjs-whatsapp-clicks'), 'src/dashboard/public/dashboard-view.js'),
    type: JS,
  },
  'dashboard.css': {
    path: () => join(packageDir('nestjs-whatsapp-clicks'), 'src/dashboard/public/dashboard.css'),
    type: CSS,
  },
  'uPlot.iife.min.js': {
    path: () => join(packageDir('uplot'), 'dist/uPlot.iife.min.js'),
    type: JS,
  },
  'uPlot.min.css': { path: () => join(packageDir('uplot'), 'dist/uPlot.min.css'), type: CSS },
  'graphql-ws.min.js': {
    path: () => join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js'),
    type: JS,
  },
};
