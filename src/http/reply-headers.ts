/** Express's and Fastify's replies: one has `setHeader`, the other `header`. */
export type HeaderSetter = {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
};

export function setHeader(res: HeaderSetter, name: string, value: string): void {
  if (typeof res.header === 'function') res.header(name, value);
  else res.setHeader?.(name, value);
}
