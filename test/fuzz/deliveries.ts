// fast-check generators of webhook deliveries as an attacker or an unlucky sender would make
// them: Meta's shape with valid actions, broken ones, and JSON of any shape in between.
import fc from 'fast-check';
import {
  CLICK_DATA_KEY,
  WHATSAPP_BUSINESS_ACCOUNT_OBJECT,
} from '../../src/payload/click-payload.parser.js';

/** Strings that have broken storage before: NUL, lone surrogates, long, non-ASCII. */
export const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '__proto__', 'constructor', ''),
  fc.string({ minLength: 520, maxLength: 700 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** A value nested `depth` levels deep. */
export const deeplyNested = fc.integer({ min: 1, max: 400 }).map((depth) => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { next: value };
  return value;
});

const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), deeplyNested, nastyString);

/** An action as Meta documents it, with a unique click id (or none). */
export const validAction = fc
  .record({
    clickId: fc.option(fc.uuid(), { nil: undefined }),
    component: fc.constantFrom('cta', 'body'),
    product: fc.option(fc.stringMatching(/^[a-z0-9_]{1,20}$/), { nil: undefined }),
    seconds: fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
    asString: fc.boolean(),
  })
  .map(({ clickId, component, product, seconds, asString }) => ({
    action_type: 'marketing_messages_link_click',
    timestamp: asString ? String(seconds) : seconds,
    [CLICK_DATA_KEY]: {
      click_component: component,
      ...(clickId === undefined ? {} : { click_id: clickId }),
      ...(product === undefined ? {} : { product_id: product }),
      tracking_token: 'token',
    },
  }));

/** A valid action with one field replaced by anything, or an unknown field added. */
const mutatedAction = fc
  .tuple(
    validAction,
    fc.constantFrom(
      'action_type',
      'timestamp',
      CLICK_DATA_KEY,
      'click_id',
      'product_id',
      'extra_field',
      '__proto__',
    ),
    anyJson,
  )
  .map(([action, key, value]) => {
    const copy = JSON.parse(JSON.stringify(action)) as Record<string, any>;
    if (key === 'click_id' || key === 'product_id') copy[CLICK_DATA_KEY][key] = value;
    else
      Object.defineProperty(copy, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return copy;
  });

export const anyAction = fc.oneof(
  { weight: 4, arbitrary: validAction },
  { weight: 3, arbitrary: mutatedAction },
  { weight: 1, arbitrary: anyJson },
);

/** A delivery of Meta's shape whose parts may each be broken. */
export const delivery = fc
  .record({
    entries: fc.array(
      fc.record({
        id: fc.oneof(
          { weight: 5, arbitrary: fc.constant('waba-fuzz') },
          { weight: 1, arbitrary: anyJson },
        ),
        phone: fc.oneof(
          { weight: 5, arbitrary: fc.constant('106540352242922') },
          { weight: 1, arbitrary: anyJson },
        ),
        field: fc.oneof(
          { weight: 6, arbitrary: fc.constant('messages') },
          { weight: 1, arbitrary: anyJson },
        ),
        actions: fc.oneof(
          { weight: 8, arbitrary: fc.array(anyAction, { maxLength: 12 }) },
          { weight: 1, arbitrary: anyJson },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ entries }) => ({
    object: WHATSAPP_BUSINESS_ACCOUNT_OBJECT,
    entry: entries.map(({ id, phone, field, actions }) => ({
      id,
      changes: [
        {
          field,
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550783881', phone_number_id: phone },
            user_actions: actions,
          },
        },
      ],
    })),
  }));
