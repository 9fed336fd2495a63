import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { ServerConfig } from '../server-config.js';

/**
 * The server's logs: pino, JSON lines in production (pretty ones otherwise), at LOG_LEVEL. The
 * module logs one line per delivery at debug, rejections as warnings. GraphQL requests get a
 * request line at debug with method, path and status only: no headers (API keys), no query
 * string. Webhooks get no request middleware at all (Fastify keeps it off their path), and
 * nothing logged anywhere carries a secret, a signature, a token or a key.
 */
export function logModule(config: ServerConfig) {
  return LoggerModule.forRoot({
    forRoutes: [{ path: 'graphql', method: RequestMethod.POST }],
    pinoHttp: {
      level: config.log.level,
      ...(config.log.format === 'pretty'
        ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
        : {}),
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'debug'),
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
      // Belt and braces, should a log line ever carry headers.
      redact: ['req.headers', 'headers.authorization', 'headers["x-hub-signature-256"]'],
    },
  });
}
