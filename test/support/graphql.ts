/** A GraphQL answer as the HTTP client sees it. */
export interface GraphQLAnswer<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POSTs one operation to `url`, with a bearer key if given. */
export async function graphql<T = any>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  key?: string,
): Promise<GraphQLAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** The error codes of an answer, in order. */
export const codes = (answer: GraphQLAnswer) =>
  (answer.errors ?? []).map((e) => e.extensions?.code);
