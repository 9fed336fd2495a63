import { Controller, Get, Header, Param, type Type, StreamableFile } from '@nestjs/common';
import { servePackageFile } from '../http/package-files.js';
import { DASHBOARD_ASSETS } from './dashboard-assets.js';
import { dashboardPage } from './dashboard-page.js';

/** Where the page may load from and connect to: this server only. */
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The live dashboard at GET `/<path>` and its files at `/<path>/<file>`, all from this server
 * (it loads with no internet). The page itself holds no data: it asks the GraphQL API at
 * `graphqlPath` with the viewer's key.
 */
export function createDashboardController(path: string, graphqlPath: string): Type<unknown> {
  const route = path.replace(/^\/+/, '');
  const html = dashboardPage(route, graphqlPath);

  @Controller(route)
  class DashboardController {
    @Get()
    @Header('Content-Type', 'text/html; charset=utf-8')
    @Header('Content-Security-Policy', POLICY)
    @Header('Cache-Control', 'no-cache')
    page(): string {
      return html;
    }

    @Get(':file')
    @Header('Cache-Control', 'public, max-age=3600')
    @Header('X-Content-Type-Options', 'nosniff')
    asset(@Param('file') file: string): StreamableFile {
      return servePackageFile(DASHBOARD_ASSETS, file, 'dashboard file');
    }
  }
  return DashboardController;
}
