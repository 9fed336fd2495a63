import { type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationDepth } from './query-limits.plugin.js';

const depth = (source: string) => {
  const document = parse(source);
  return operationDepth(document.definitions[0] as OperationDefinitionNode, document);
};

describe('operationDepth', () => {
  it('counts nested fields, through fragments and inline fragments', () => {
    expect(depth('{ a }')).toBe(1);
    expect(depth('{ a { b { c } } d }')).toBe(3);
    expect(depth('query { a { ...F } } fragment F on T { b { ... on U { c { d } } } }')).toBe(4);
  });

  it('does not count introspection, and survives fragment cycles', () => {
    expect(depth('{ __schema { types { fields { type { ofType { name } } } } } a }')).toBe(1);
    expect(depth('query { a { ...F } } fragment F on T { b { ...F } }')).toBe(2);
  });
});

describe('operationDepth of the module fields only', () => {
  const ours = (source: string) => {
    const document = parse(source);
    return operationDepth(document.definitions[0] as OperationDefinitionNode, document, (name) =>
      ['clickEvents', 'clickStats'].includes(name),
    );
  };

  it("counts below the module's root fields, not the host's", () => {
    expect(ours('{ host { a { b { c { d } } } } }')).toBe(0);
    expect(ours('{ host { a { b { c } } } clickEvents { edges { node { id } } } }')).toBe(4);
    expect(
      ours('query { ...Root } fragment Root on Query { clickStats { total } host { a { b } } }'),
    ).toBe(2);
  });
});
